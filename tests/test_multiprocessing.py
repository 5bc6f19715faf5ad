"""tritorch.multiprocessing: shared-memory storages, tensors over Queues by handle (fork, spawn,
forkserver), sharing strategies, fd / file cleanup, spawn's error propagation, Hogwild.

Every get/join has a timeout so a bug fails the test instead of hanging it."""
import gc
import multiprocessing.reduction
import os
import signal
import time

import numpy as np
import pytest

import tritorch as tt
import tritorch.multiprocessing as mp

T = 60  # seconds: bound for any wait on a child


def _memfds():
    """This process's fds on tritorch memfds."""
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:tritorch")
        except OSError:
            pass
    return n


def _shm_files():
    return {f for f in os.listdir("/dev/shm") if f.startswith(f"tritorch_{os.getpid()}_")}


# ---- in-process: share_memory_ ---------------------------------------------------------------
def test_share_memory_in_place_keeps_views():
    x = tt.arange(12.0).reshape(3, 4)
    v = x[1:, ::2]
    d = x.data
    p = tt.nn.Parameter(x)
    assert not x.is_shared()
    assert x.share_memory_() is x
    assert x.is_shared() and v.is_shared() and d.is_shared() and p.is_shared()
    v.mul_(10)
    d[0, 0] = -1
    p.data[0, 1] = -2
    expect = np.arange(12.0).reshape(3, 4)
    expect[1:, ::2] *= 10
    expect[0, :2] = [-1, -2]
    np.testing.assert_array_equal(x.numpy(), expect)
    np.testing.assert_array_equal(v.numpy(), expect[1:, ::2])
    assert v.storage_offset() == 4 and v.stride() == (4, 2)
    assert x[2].is_shared() and x[2].storage_offset() == 8
    x.share_memory_()  # no-op when shared
    np.testing.assert_array_equal(x.numpy(), expect)


def test_module_share_memory_and_fd_freed():
    gc.collect()
    before = _memfds()
    m = tt.nn.Linear(3, 2)
    w = m.weight.detach().clone()
    m.share_memory()
    assert all(p.is_shared() for p in m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), w.numpy())
    assert _memfds() > before
    del m
    gc.collect()
    assert _memfds() == before


def test_sharing_strategies():
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    with pytest.raises(AssertionError):
        mp.set_sharing_strategy("nope")


def test_send_errors():
    x = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        multiprocessing.reduction.ForkingPickler.dumps(x)
    if tt.cuda.is_available():
        with pytest.raises(RuntimeError, match="cannot send a cuda tensor to another process"):
            multiprocessing.reduction.ForkingPickler.dumps(tt.ones(2, device="cuda"))


# ---- across processes ---------------------------------------------------------------------------
def _echo_add_one(q, r, done):
    t = q.get(timeout=T)
    t.add_(1)          # the parent must see this
    r.put(t)           # and this arrives as a view of the same memory again
    done.wait(T)       # the sender stays alive until the parent has received


@pytest.mark.parametrize("method", ["fork", pytest.param("spawn", marks=pytest.mark.slow),
                                    pytest.param("forkserver", marks=pytest.mark.slow)])
def test_queue_round_trip_shares_both_ways(method):
    gc.collect()
    before = _memfds()
    ctx = mp.get_context(method)
    q, r, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    p = ctx.Process(target=_echo_add_one, args=(q, r, done))
    p.start()
    base = tt.zeros(4, 5)
    z = base[1:, 1::2]              # offset 6, strides (5, 2)
    q.put(z)
    back = r.get(timeout=T)
    done.set()
    p.join(T)
    assert p.exitcode == 0
    assert z.is_shared() and back.is_shared()
    assert back.shape == (3, 2) and back.stride() == (5, 2) and back.storage_offset() == 6
    expect = np.zeros((4, 5), np.float32)
    expect[1:, 1::2] = 1
    np.testing.assert_array_equal(base.numpy(), expect)   # child's writes seen here
    back[0, 0] = 99
    assert base[1, 1].item() == 99                        # same memory after the round trip
    del base, z, back, q, r
    gc.collect()
    assert _memfds() == before                            # every fd closed once the tensors are gone


def _spawn_fill(i, t):
    assert t[i].item() == -1      # the parent's write before spawning is visible
    t[i] = i + 10


@pytest.mark.slow
def test_spawn_shares_arguments():
    t = tt.full((2,), -1.0)
    mp.spawn(_spawn_fill, args=(t,), nprocs=2, join=True)
    assert t.tolist() == [10.0, 11.0]


def _fill_file_system(q, r, done):
    t = q.get(timeout=T)
    t.fill_(3)
    r.put(True)
    done.wait(T)


def test_file_system_strategy_no_leak():
    mp.set_sharing_strategy("file_system")
    try:
        ctx = mp.get_context("fork")
        q, r, done = ctx.Queue(), ctx.Queue(), ctx.Event()
        p = ctx.Process(target=_fill_file_system, args=(q, r, done))
        p.start()
        t = tt.zeros(3)
        q.put(t)
        assert r.get(timeout=T)
        assert t.tolist() == [3.0, 3.0, 3.0]
        assert len(_shm_files()) == 1
        done.set()
        p.join(T)
        del t
        gc.collect()
        assert _shm_files() == set()
    finally:
        mp.set_sharing_strategy("file_descriptor")


def _raise_in_child(i):
    if i == 1:
        raise ValueError("boom from child 1")
    time.sleep(0.1)


def _kill_self(i):
    os.kill(os.getpid(), signal.SIGKILL)


def test_start_processes_error_propagation():
    with pytest.raises(mp.ProcessRaisedException) as e:
        mp.start_processes(_raise_in_child, nprocs=2, start_method="fork")
    msg = str(e.value)
    assert "-- Process 1 terminated with the following error:" in msg
    assert "Traceback (most recent call last)" in msg and "ValueError: boom from child 1" in msg
    assert "_raise_in_child" in msg
    assert e.value.error_index == 1


def test_start_processes_killed_child():
    ctx = mp.start_processes(_kill_self, nprocs=1, join=False, start_method="fork")
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with signal SIGKILL") as e:
        deadline = time.monotonic() + T
        while not ctx.join(timeout=1) and time.monotonic() < deadline:
            pass
    assert e.value.exit_code == -signal.SIGKILL and e.value.signal_name == "SIGKILL"


def test_join_timeout_returns_false():
    ctx = mp.start_processes(_raise_in_child, args=(), nprocs=1, join=False, start_method="fork")
    assert ctx.join(timeout=T) is True  # process 0 does not raise
    assert len(ctx.pids()) == 1


# ---- Hogwild -------------------------------------------------------------------------------------
def _hogwild_train(rank, model, x, y, steps):
    tt.manual_seed(rank)
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        with tt.no_grad():
            for p in model.parameters():
                p.sub_(0.1 * p.grad)


def test_hogwild_converges():
    tt.manual_seed(0)
    x = tt.randn(64, 3)
    w_true = tt.tensor([[1.0, -2.0, 0.5]])
    y = x @ w_true.t() + 0.25
    model = tt.nn.Linear(3, 1)
    model.share_memory()
    ctx = mp.start_processes(_hogwild_train, args=(model, x, y, 100), nprocs=2, join=False, start_method="fork")
    deadline = time.monotonic() + T
    while not ctx.join(timeout=1):
        assert time.monotonic() < deadline
    np.testing.assert_allclose(model.weight.detach().numpy(), w_true.numpy(), atol=1e-2)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.25], atol=1e-2)
