"""Activation checkpointing (PyTorch's `torch.utils.checkpoint`): trade compute for memory.

``checkpoint(function, *args)`` returns ``function(*args)`` but keeps only ``args`` (and the
outputs) alive; the backward re-runs ``function`` with grad enabled, the RNG state of the
forward restored, and backpropagates through that recomputation.

How it works (tritorch's autograd has no saved-tensor hooks, so the shape differs from
PyTorch's while the semantics are those of PyTorch's ``use_reentrant=False``):

* Forward: ``function`` runs once with grad recording on.  Walking the recorded graph from the
  outputs until it leaves the nodes this call recorded (told apart by the graph's recording
  order, ``Node._seq``) gives the *frontier*: the edges into the older graph and into leaves,
  i.e. the tensor args requiring grad **and** every tensor ``function`` reached by closure
  (a module's parameters, an activation computed earlier).  The call's own nodes are then
  released, and the outputs it produced get one `CheckpointBackward` node whose edges are the
  frontier.  The activations thus live only while ``function`` runs (the peak of one
  recomputation) and are freed when ``checkpoint`` returns.
* Backward: the node re-runs ``function`` (RNG states, context of ``context_fn`` restored),
  redirects the recomputed graph's frontier edges into capture nodes, backpropagates the
  incoming gradients there, and hands each captured gradient to its frontier edge.  So
  gradients reach closure parameters and ``autograd.grad(..., inputs=params)`` /
  ``backward(inputs=...)`` work, nested checkpoints recompute level by level, and with
  ``create_graph=True`` the redirected edges are restored so double backward works.

Deliberate differences from PyTorch:

* ``use_reentrant=True`` and ``None`` check arguments as PyTorch's reentrant variant does
  (``None`` warns, as PyTorch 2.13 does) but compute with the semantics above: tensors reached by
  closure get gradients even when no arg requires grad, and ``autograd.grad`` is allowed.
* The recomputation always runs ``function`` to the end (``early_stop`` is accepted and
  ignored); ``debug=True`` adds no operator traces.
* The determinism check ("default") compares the recomputed outputs' shapes, dtypes and
  devices with the forward's and refuses a recomputation that reaches tensors the forward
  did not; PyTorch compares every saved tensor.
* ``preserve_rng_state`` saves the cpu default generator and that of each device type among
  the tensor args (PyTorch: the devices of the tensor args).
* A tensor ``function`` creates and stores elsewhere (not returned) cannot be backpropagated
  through: its nodes are released when ``checkpoint`` returns.
* In-place changes to an arg inside ``function`` are applied again by the recomputation, as
  with PyTorch; an arg changed in place between forward and backward is an error (version
  counter), as PyTorch reports.
"""
import contextlib
import warnings

from .._tensor import Tensor
from .._ops.generator import default_generator, default_generator_for
from ..autograd import graph as _graph
from ..autograd.engine import run_backward
from ..autograd.graph import Node
from ..autograd.grad_mode import STATE, enable_grad

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]

_DETERMINISM_CHECKS = ("default", "none")


class CheckpointError(RuntimeError):
    """The recomputation differed from the original forward."""


def noop_context_fn():
    """Default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


# ---- nested outputs: tensors inside tuples / lists / dicts -----------------------------------------
def _flatten(obj, acc):
    if isinstance(obj, Tensor):
        acc.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten(o, acc)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten(o, acc)
    return acc


def _replace(obj, swap):
    if isinstance(obj, Tensor):
        return swap.get(id(obj), obj)
    if isinstance(obj, tuple):
        items = [_replace(o, swap) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, list):
        return [_replace(o, swap) for o in obj]
    if isinstance(obj, dict):
        return {k: _replace(v, swap) for k, v in obj.items()}
    return obj


# ---- graph walks -------------------------------------------------------------------------------
def _is_inner(node, start):
    """True when ``node`` was recorded after sequence number ``start`` was drawn.  AccumulateGrad
    nodes (leaves) are never recorded, so they are always outer."""
    return getattr(node, "_seq", 0) > start


def _inner_nodes(roots, start):
    """The nodes recorded after ``start`` reachable from ``roots`` (iterative DFS)."""
    seen = {}
    stack = [n for n in roots if n is not None and _is_inner(n, start)]
    for n in stack:
        seen[n] = None
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None and nxt not in seen and _is_inner(nxt, start):
                seen[nxt] = None
                stack.append(nxt)
    return list(seen)


def _frontier(nodes, start):
    """The edges from ``nodes`` into older nodes or leaves, in first-seen order."""
    edges = {}
    for n in nodes:
        for e in n.next_functions:
            if e[0] is not None and not _is_inner(e[0], start):
                edges[e] = None
    return list(edges)


# ---- RNG state -----------------------------------------------------------------------------------
def _generators(tensors):
    gens = {default_generator.device.type: default_generator}
    for t in tensors:
        dt = t.device.type
        if dt not in gens:
            gens[dt] = default_generator_for(t.device)
    return list(gens.values())


def _states(gens):
    return [(g.initial_seed(), g.get_offset()) for g in gens]


def _set_states(gens, states):
    for g, (seed, offset) in zip(gens, states):
        g.manual_seed(seed)
        g.set_offset(offset)


# ---- the backward node --------------------------------------------------------------------------
class _Capture(Node):
    """Sink for the gradient reaching one frontier edge during the recomputation's backward."""

    def __init__(self):
        Node.__init__(self)
        self.next_functions = ()
        self.needs_input_grad = ()
        self.grad = None

    def backward(self, g):
        self.grad = g
        return ()


def _meta(t):
    return tuple(t.shape), t.dtype, t.device


class CheckpointBackward(Node):
    """Backward of a checkpointed call: recompute ``function``, backpropagate to the frontier."""

    def backward(self, *grads):
        saved = self.saved_tensors  # raises once released, or when an arg was changed in place
        args = list(self._args)
        for i, t in zip(self._tensor_pos, saved):
            args[i] = t
        create_graph = STATE.enabled
        gens, states = self._rng
        outer_states = _states(gens)
        _set_states(gens, states)
        try:
            with enable_grad(), self._recompute_ctx:
                start = next(_graph._SEQUENCE)
                out = self._function(*args, **self._kwargs)
        finally:
            _set_states(gens, outer_states)
        flat = _flatten(out, [])
        outs = self._match_outputs(flat, start)

        # Matched against the edges as recorded: an enclosing checkpoint's backward may have
        # redirected this node's next_functions into its own capture nodes.
        caps = [_Capture() for _ in self._frontier]
        slot = {e: (c, 0) for e, c in zip(self._frontier, caps)}
        roots, root_grads = [], []
        for t, g in zip(outs, grads):
            if g is not None:
                roots.append(t)
                root_grads.append(g)
        nodes = _inner_nodes([t.grad_fn for t in roots], start)
        original = [(n, n.next_functions) for n in nodes]
        for n in nodes:
            n.next_functions = tuple(self._redirect(e, start, slot) for e in n.next_functions)
        try:
            if roots:
                run_backward(roots, root_grads, retain_graph=create_graph, create_graph=create_graph)
        finally:
            if create_graph:  # the gradients' own graph runs through these nodes: give them back their edges
                for n, edges in original:
                    n.next_functions = edges
            else:  # free what the recomputation saved (outputs saved by their own node form cycles)
                for n in _inner_nodes([t.grad_fn for t in outs], start):
                    n._release()
        return tuple(c.grad for c in caps)

    def _match_outputs(self, flat, start):
        """The recomputed counterparts of the forward's checkpointed outputs."""
        if len(flat) != self._n_flat:
            raise CheckpointError(
                "tritorch.utils.checkpoint: the recomputation returned a different number of tensors than the "
                f"original forward (forward: {self._n_flat}, recomputation: {len(flat)}).")
        outs = [flat[i] for i in self._out_pos]
        for i, t in enumerate(outs):
            if t.grad_fn is None or not _is_inner(t.grad_fn, start):
                raise CheckpointError(
                    f"tritorch.utils.checkpoint: output {self._out_pos[i]} was computed by the original forward "
                    "but not by the recomputation (it has no gradient history from this call).")
        if self._check:
            bad = [(i, m, _meta(t)) for i, (t, m) in enumerate(zip(outs, self._out_meta)) if _meta(t) != m]
            if bad:
                lines = "".join(f"tensor at position {i}:\nsaved metadata: {m}\nrecomputed metadata: {r}\n"
                                for i, m, r in bad)
                raise CheckpointError("tritorch.utils.checkpoint: Recomputed values for the following tensors "
                                      f"have different metadata than during the forward pass.\n{lines}")
        return outs

    def _redirect(self, edge, start, slot):
        if edge[0] is None or _is_inner(edge[0], start):
            return edge
        s = slot.get(edge)
        if s is None:
            if self._check:
                raise CheckpointError(
                    "tritorch.utils.checkpoint: the recomputation used a tensor requiring grad that the original "
                    "forward did not use; the checkpointed function must compute the same thing both times.")
            return (None, 0)
        return s

    def _release(self):
        Node._release(self)
        self._function = self._args = self._kwargs = self._recompute_ctx = None


# ---- public API -----------------------------------------------------------------------------------
def _checkpoint(function, args, kwargs, preserve_rng_state, context_fn, check):
    forward_ctx, recompute_ctx = context_fn()
    if not STATE.enabled:
        return function(*args, **kwargs)
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = [args[i] for i in tensor_pos]
    gens = _generators(tensors) if preserve_rng_state else []
    states = _states(gens)
    start = next(_graph._SEQUENCE)
    with forward_ctx:
        out = function(*args, **kwargs)
    flat = _flatten(out, [])
    # Outputs this call produced go through the checkpoint node; a tensor returned unchanged from
    # outside (an arg, a closure tensor) keeps its own history.
    out_pos, first = [], {}
    for i, t in enumerate(flat):
        if t.grad_fn is not None and _is_inner(t.grad_fn, start) and id(t) not in first:
            first[id(t)] = len(out_pos)
            out_pos.append(i)
    if not out_pos:
        return out
    produced = [flat[i] for i in out_pos]
    nodes = _inner_nodes([t.grad_fn for t in produced], start)
    node = CheckpointBackward()
    node._frontier = node.next_functions = tuple(_frontier(nodes, start))
    node.needs_input_grad = (True,) * len(node.next_functions)
    node._nout = len(produced)
    node._seq = next(_graph._SEQUENCE)  # recorded like an op: an enclosing checkpoint sees it as its own
    for n in nodes:
        n._release()
    node.save_for_backward(*tensors)
    node._function, node._kwargs, node._recompute_ctx = function, kwargs, recompute_ctx
    node._args = [None if isinstance(a, Tensor) else a for a in args]
    node._tensor_pos = tensor_pos
    node._rng = (gens, states)
    node._check = check
    node._n_flat = len(flat)
    node._out_pos = out_pos
    node._out_meta = [_meta(t) for t in produced]
    swap = {}
    for i, t in enumerate(produced):
        a = t.detach()
        a.grad_fn = node
        a._output_nr = i
        a._requires_grad = True
        swap[id(t)] = a
    return _replace(out, swap)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` without keeping its activations; recompute them in backward.

    Args:
        function: the callable to run; its outputs may be a tensor or tuples / lists / dicts of
            tensors and other values.
        args, kwargs: passed to ``function``.  Tensor ``args`` are saved (version-checked);
            ``kwargs`` need ``use_reentrant=False``.
        use_reentrant: pass it explicitly (``None`` warns and means ``True``, as in PyTorch 2.13);
            either value computes as described in the module docstring.
        context_fn: returns two context managers: around the forward and around the recomputation.
        determinism_check: ``"default"`` (compare the recomputed outputs with the forward's) or
            ``"none"``.
        debug, early_stop: accepted for PyTorch compatibility (see the module docstring).
        preserve_rng_state: restore the forward's RNG state for the recomputation, so dropout
            masks match.
    """
    if use_reentrant is None:
        warnings.warn("tritorch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "In PyTorch 2.9+ calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return _checkpoint(function, args, kwargs, preserve_rng_state, context_fn, False)
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, "
                         f"but got {determinism_check}")
    return _checkpoint(function, args, kwargs, preserve_rng_state, context_fn, determinism_check == "default")


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an `nn.Sequential` or a list of callables) on ``input`` in ``segments``
    chunks, checkpointing every chunk but the last.  ``preserve_rng_state`` is the one keyword."""
    if use_reentrant is None:
        warnings.warn("tritorch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
                      "passed explicitly. In PyTorch 2.9+ calling it without use_reentrant will raise an "
                      "exception. use_reentrant=False is recommended, but if you need to preserve the current "
                      "default behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    if not isinstance(functions, (list, tuple)) and hasattr(functions, "children"):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
