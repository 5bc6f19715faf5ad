"""tritorch.save / tritorch.load against torch.save / torch.load (PyTorch's zip checkpoint format)."""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

import tritorch as tt
from tritorch import serialization

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _values(name):
    """A tritorch tensor and the equal torch tensor of dtype ``name``, shape (2, 3)."""
    a = (np.arange(6).reshape(2, 3) - 2) * 3
    t = torch.tensor(a).to(getattr(torch, name))
    return tt.tensor(t.float().numpy()).to(getattr(tt, name)), t


def _same(x, y):
    """tritorch tensor ``x`` equals torch tensor ``y`` (values, dtype, shape, strides, offset)."""
    assert str(x.dtype).split(".")[-1] == str(y.dtype).split(".")[-1]
    assert tuple(x.shape) == tuple(y.shape)
    assert x.stride() == y.stride() and x.storage_offset() == y.storage_offset()
    np.testing.assert_array_equal(x.detach().cpu().float().numpy(), y.detach().float().numpy())


def _local_data_offset(path, name):
    with zipfile.ZipFile(path) as z:
        zi = z.getinfo(name)
    with open(path, "rb") as fh:
        fh.seek(zi.header_offset)
        head = fh.read(30)
    nl, el = struct.unpack("<HH", head[26:30])
    return zi.header_offset + 30 + nl + el, zi.file_size


@pytest.mark.parametrize("name", DTYPES)
def test_save_then_torch_load_every_dtype(tmp_path, name):
    x, ref = _values(name)
    tt.save({"x": x}, tmp_path / "m.pt")
    got = torch.load(tmp_path / "m.pt", weights_only=True)["x"]
    assert got.dtype == ref.dtype and torch.equal(got, ref)


@pytest.mark.parametrize("name", DTYPES)
def test_torch_save_then_load_every_dtype(tmp_path, name):
    x, ref = _values(name)
    torch.save({"x": ref, "v": ref[:, 1:]}, tmp_path / "m.pt")
    got = tt.load(tmp_path / "m.pt")
    _same(got["x"], ref)
    _same(got["v"], ref[:, 1:])


def test_archive_layout_matches_torch(tmp_path):
    x = tt.arange(10.0)
    tt.save({"a": x, "b": tt.ones(3, dtype=tt.int64)}, tmp_path / "ckpt.pt")
    with zipfile.ZipFile(tmp_path / "ckpt.pt") as z:
        names = z.namelist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        assert z.read("ckpt/byteorder") == b"little" and z.read("ckpt/version") == b"3\n"
        assert z.read("ckpt/.storage_alignment") == b"64" and z.read("ckpt/.format_version") == b"1"
        assert len(z.read("ckpt/.data/serialization_id")) == 40
        assert z.read("ckpt/data/0") == np.arange(10, dtype=np.float32).tobytes()
    assert names[0] == "ckpt/data.pkl" and {"ckpt/data/0", "ckpt/data/1"} <= set(names)
    for n in names:
        assert _local_data_offset(tmp_path / "ckpt.pt", n)[0] % 64 == 0
    # torch writes the same globals and persistent ids
    with zipfile.ZipFile(tmp_path / "ckpt.pt") as z:
        pkl = z.read("ckpt/data.pkl")
    assert b"ctorch._utils\n_rebuild_tensor_v2\n" in pkl and b"ctorch\nFloatStorage\n" in pkl
    assert b"ctorch\nLongStorage\n" in pkl and b"ccollections\nOrderedDict\n" in pkl


def test_shared_storage_saved_once_and_views_restored(tmp_path):
    base = tt.arange(12.0)
    d = {"base": base, "row": base.view(3, 4)[1], "col": base.view(3, 4)[:, 2], "t": base.view(3, 4).t()}
    tt.save(d, tmp_path / "s.pt")
    with zipfile.ZipFile(tmp_path / "s.pt") as z:
        assert [n for n in z.namelist() if "/data/" in n] == ["s/data/0"]
    got = torch.load(tmp_path / "s.pt", weights_only=True)
    assert got["col"].stride() == (4,) and got["col"].storage_offset() == 2 and got["t"].stride() == (1, 4)
    back = tt.load(tmp_path / "s.pt")
    for k in d:
        _same(back[k], got[k])
    got["base"][6] = -1.0
    assert got["col"][1].item() == -1.0 and got["row"][2].item() == -1.0  # one storage in torch too
    back["base"][6] = 100.0
    assert back["col"][1].item() == 100.0 and back["row"][2].item() == 100.0 and back["t"][2, 1].item() == 100.0


def test_torch_shared_views_load_as_views(tmp_path):
    base = torch.arange(20, dtype=torch.float64)
    torch.save({"a": base[3:15:2], "b": base.view(4, 5).t(), "c": base}, tmp_path / "v.pt")
    got = tt.load(tmp_path / "v.pt")
    _same(got["a"], base[3:15:2])
    _same(got["b"], base.view(4, 5).t())
    got["c"][5] = -7.0
    assert got["a"][1].item() == -7.0 and got["b"][0, 1].item() == -7.0
    assert not got["a"].is_contiguous() and got["a"].is_leaf


def test_noncontiguous_view_alone(tmp_path):
    x = tt.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)[1:3]
    tt.save(x, tmp_path / "p.pt")
    got = torch.load(tmp_path / "p.pt", weights_only=True)
    ref = torch.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)[1:3]
    assert got.stride() == ref.stride() and got.storage_offset() == ref.storage_offset() and torch.equal(got, ref)
    _same(tt.load(tmp_path / "p.pt"), ref)


def test_same_memory_as_two_dtypes_is_refused(tmp_path):
    a = np.arange(4, dtype=np.float32)
    x, y = tt.from_numpy(a), tt.from_numpy(a.view(np.int32))
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        tt.save([x, y], tmp_path / "bad.pt")


def test_nested_structures_roundtrip(tmp_path):
    obj = {"epoch": 3, "lr": 0.1, "name": "run", "flag": True, "none": None, "b": b"\x00\xffab",
           "nested": [1, (2.5, "x", [None, False]), {"k": -4}], "set": {1, 2},
           "od": collections.OrderedDict([("z", 1), ("a", 2)]), "size": tt.Size([2, 3]),
           "dtype": tt.bfloat16, "dev": tt.device("cpu"), "c": 1 + 2j}
    tt.save(obj, tmp_path / "n.pt")
    t = torch.load(tmp_path / "n.pt", weights_only=True)
    assert t["size"] == torch.Size([2, 3]) and type(t["size"]) is torch.Size
    assert t["dtype"] is torch.bfloat16 and t["dev"] == torch.device("cpu")
    assert t["nested"] == obj["nested"] and t["od"] == obj["od"] and list(t["od"]) == ["z", "a"]
    back = tt.load(tmp_path / "n.pt")
    assert back == obj and type(back["size"]) is tt.Size and type(back["od"]) is collections.OrderedDict
    torch.save(t, tmp_path / "n2.pt")
    assert tt.load(tmp_path / "n2.pt") == obj
    tt.save({"fs": frozenset({3})}, tmp_path / "fs.pt")  # torch's weights_only refuses frozenset; tritorch reads it
    assert tt.load(tmp_path / "fs.pt") == {"fs": frozenset({3})}


def test_parameter_and_state_dict(tmp_path):
    m = torch.nn.Linear(3, 2)
    sd = m.state_dict()
    torch.save({"sd": sd, "p": m.weight, "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False)},
               tmp_path / "m.pt")
    got = tt.load(tmp_path / "m.pt")
    assert type(got["sd"]) is collections.OrderedDict and list(got["sd"]) == ["weight", "bias"]
    _same(got["sd"]["bias"], sd["bias"])
    assert isinstance(got["p"], tt.nn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], tt.nn.Parameter) and not got["frozen"].requires_grad
    _same(got["p"], m.weight)
    # and back: tritorch Parameters load in torch as Parameters
    p = tt.nn.Parameter(tt.arange(4.0))
    tt.save({"p": p, "g": tt.ones(2, requires_grad=True)}, tmp_path / "p.pt")
    t = torch.load(tmp_path / "p.pt", weights_only=True)
    assert type(t["p"]) is torch.nn.Parameter and t["p"].requires_grad and t["g"].requires_grad
    assert torch.equal(t["p"].detach(), torch.arange(4.0))


def test_file_objects_and_protocols(tmp_path):
    buf = io.BytesIO()
    tt.save({"x": tt.arange(5)}, buf, pickle_protocol=3)
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=True)["x"], torch.arange(5))
    buf.seek(0)
    assert tt.load(buf)["x"].tolist() == [0, 1, 2, 3, 4]
    # protocol 4 (STACK_GLOBAL, frames): torch's weights-only unpickler reads no protocol-4 file, even its own
    buf4 = io.BytesIO()
    tt.save({"x": tt.arange(5), "s": tt.Size([1])}, buf4, pickle_protocol=4)
    buf4.seek(0)
    assert torch.equal(torch.load(buf4, weights_only=False)["x"], torch.arange(5))
    buf4.seek(0)
    got = tt.load(io.BytesIO(buf4.getvalue()))
    assert got["x"].tolist() == [0, 1, 2, 3, 4] and got["s"] == tt.Size([1]) and type(got["s"]) is tt.Size
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.namelist()[0] == "archive/data.pkl"
    with open(tmp_path / "f.pt", "wb") as fh:
        tt.save(tt.ones(2), fh)
    with open(tmp_path / "f.pt", "rb") as fh:
        assert tt.load(fh).tolist() == [1.0, 1.0]


def test_device_tensors(tmp_path, device):
    x = tt.arange(6.0, device=device).reshape(2, 3)
    tt.save({"x": x, "v": x[:, 1]}, tmp_path / "d.pt")
    with zipfile.ZipFile(tmp_path / "d.pt") as z:
        pkl = z.read("d/data.pkl")
    assert (b"cuda:0" in pkl) == (device == "cuda")
    got = torch.load(tmp_path / "d.pt", weights_only=True, map_location="cpu")
    assert torch.equal(got["v"], torch.tensor([1.0, 4.0]))
    back = tt.load(tmp_path / "d.pt")
    assert back["x"].device.type == device and back["v"].tolist() == [1.0, 4.0]
    back["x"][0, 1] = 9.0
    assert back["v"][0].item() == 9.0  # still one storage after the device round trip


def test_map_location_forms(tmp_path, device):
    torch.save({"a": torch.arange(3.0), "b": torch.arange(4.0)[1:]}, tmp_path / "m.pt")
    for ml in (device, tt.device(device), {"cpu": device}, lambda s, loc: s.to(device)):
        got = tt.load(tmp_path / "m.pt", map_location=ml)
        assert got["a"].device.type == device and got["b"].tolist() == [1.0, 2.0, 3.0]
    seen = []
    got = tt.load(tmp_path / "m.pt", map_location=lambda s, loc: seen.append((loc, s.shape)))
    assert seen == [("cpu", tt.Size([3])), ("cpu", tt.Size([4]))] and got["a"].device.type == "cpu"
    # a tritorch file tagged cuda:0, mapped back to cpu
    tt.save({"c": tt.ones(2, device=device)}, tmp_path / "c.pt")
    assert tt.load(tmp_path / "c.pt", map_location={"cuda:0": "cpu"})["c"].device.type == "cpu"
    with pytest.raises(TypeError, match="map_location must be"):
        tt.load(tmp_path / "m.pt", map_location=3)


def test_map_location_unknown_location(tmp_path):
    torch.save(torch.ones(2), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match=r"don't know how to restore data location .*tagged with mps"):
        tt.load(tmp_path / "m.pt", map_location="mps")


def test_mmap(tmp_path):
    x = tt.arange(1000.0)
    tt.save({"x": x, "v": x[10:20], "i": tt.arange(7, dtype=tt.int16)}, tmp_path / "m.pt")
    got = tt.load(tmp_path / "m.pt", mmap=True)
    assert got["v"].tolist() == list(range(10, 20)) and got["i"].tolist() == list(range(7))
    assert isinstance(got["x"]._storage.root, np.memmap)
    got["x"][10] = -1.0  # copy-on-write: visible in the view, never written to the file
    assert got["v"][0].item() == -1.0
    assert tt.load(tmp_path / "m.pt")["x"][10].item() == 10.0
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        tt.load(io.BytesIO(), mmap=True)


def test_weights_only_with_pickle_module():
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        tt.load(io.BytesIO(), pickle_module=pickle)


# ---- refusing code ----------------------------------------------------------------------------
class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class _OpenPayload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("payload", [_Payload, _OpenPayload])
@pytest.mark.parametrize("weights_only", [True, False])
def test_malicious_global_is_refused(tmp_path, payload, weights_only):
    canary = tmp_path / "canary"
    torch.save({"w": torch.ones(2), "evil": payload(canary)}, tmp_path / "evil.pt")
    assert not canary.exists()
    name = "posix.system" if payload is _Payload else "io.open"
    with pytest.raises(pickle.UnpicklingError, match=rf"Unsupported global: GLOBAL {name} was not an allowed"):
        tt.load(tmp_path / "evil.pt", weights_only=weights_only)
    assert not canary.exists()


def test_build_on_allowed_objects_is_refused(tmp_path):
    # a hand-made pickle: torch.float32 (a tritorch dtype singleton) BUILD {'itemsize': 1}
    pkl = b"\x80\x02ctorch\nfloat32\n}X\x08\x00\x00\x00itemsizeK\x01sb."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="refusing to set the state of a dtype"):
        tt.load(buf)
    assert tt.float32.itemsize == 4


def test_numpy_only_with_weights_only_false(tmp_path):
    torch.save({"a": np.arange(3)}, tmp_path / "np.pt")
    with pytest.raises(pickle.UnpicklingError, match="numpy"):
        tt.load(tmp_path / "np.pt")
    np.testing.assert_array_equal(tt.load(tmp_path / "np.pt", weights_only=False)["a"], np.arange(3))


# ---- damaged files ----------------------------------------------------------------------------
def test_truncated_file(tmp_path):
    tt.save({"x": tt.arange(100.0)}, tmp_path / "t.pt")
    data = (tmp_path / "t.pt").read_bytes()
    for n in (len(data) // 2, len(data) - 10, 10):
        (tmp_path / "cut.pt").write_bytes(data[:n])
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading zip archive"):
            tt.load(tmp_path / "cut.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="the file is empty"):
        tt.load(tmp_path / "empty.pt")


def test_flipped_bytes(tmp_path):
    torch.save({"x": torch.arange(100.0)}, tmp_path / "t.pt")
    off, _ = _local_data_offset(tmp_path / "t.pt", "t/data/0")
    data = bytearray((tmp_path / "t.pt").read_bytes())
    data[off + 9] ^= 0xFF
    (tmp_path / "bad.pt").write_bytes(bytes(data))
    # storage bytes are not checksummed (as in torch): they load exactly as stored, read or mapped
    stored = np.frombuffer(bytes(data[off:off + 400]), np.float32)
    for mmap in (False, True):
        np.testing.assert_array_equal(tt.load(tmp_path / "bad.pt", mmap=mmap)["x"].numpy(), stored)
    assert torch.equal(torch.load(tmp_path / "bad.pt", weights_only=True)["x"], torch.from_numpy(stored.copy()))
    # a flipped byte in data.pkl is caught by its CRC-32
    pkl_off, n = _local_data_offset(tmp_path / "t.pt", "t/data.pkl")
    data = bytearray((tmp_path / "t.pt").read_bytes())
    data[pkl_off + n // 2] ^= 0x01
    (tmp_path / "badpkl.pt").write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading file data.pkl.*Bad CRC-32"):
        tt.load(tmp_path / "badpkl.pt")
    # every single-byte flip anywhere either loads or raises a clear error, never crashes
    clean = (tmp_path / "t.pt").read_bytes()
    for i in range(0, len(clean), 7):
        b = bytearray(clean)
        b[i] ^= 0x5A
        (tmp_path / "flip.pt").write_bytes(bytes(b))
        try:
            tt.load(tmp_path / "flip.pt")
        except (RuntimeError, pickle.UnpicklingError, ValueError):
            pass


def test_corrupt_pickle_and_geometry(tmp_path):
    torch.save({"x": torch.arange(4.0)}, tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "t.pt") as z:
        members = {n: z.read(n) for n in z.namelist()}

    def rewrite(pkl, name):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            for n, b in members.items():
                z.writestr(n, pkl if n.endswith("data.pkl") else b)
        return tmp_path / name

    pkl = members["t/data.pkl"]
    with pytest.raises(pickle.UnpicklingError, match="malformed"):
        tt.load(rewrite(pkl[:-1], "half.pt"))
    # size (4,) -> (9,): more elements than the storage holds
    bad = pkl.replace(b"K\x04\x85", b"K\x09\x85", 1)
    assert bad != pkl
    with pytest.raises(RuntimeError, match="out of bounds|require a storage"):
        tt.load(rewrite(bad, "big.pt"))


def test_legacy_format_is_refused(tmp_path):
    torch.save(torch.ones(2), tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy format"):
        tt.load(tmp_path / "old.pt")


# ---- atomic save ------------------------------------------------------------------------------
def test_interrupted_save_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    tt.save({"x": tt.ones(3)}, path)
    before = path.read_bytes()
    real = serialization._write_record
    calls = []

    def failing(zf, start, name, data):
        calls.append(name)
        if "/data/" in name:
            raise OSError("disk full")
        return real(zf, start, name, data)

    monkeypatch.setattr(serialization, "_write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        tt.save({"x": tt.zeros(1000)}, path)
    assert calls and path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary left behind
    monkeypatch.undo()
    assert tt.load(path)["x"].tolist() == [1.0, 1.0, 1.0]
