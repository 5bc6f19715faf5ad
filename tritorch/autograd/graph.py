"""Backward graph nodes (`grad_fn` objects) and how ops record them.

A `Node` is created by each differentiable op that runs with grad enabled.  It keeps
``next_functions`` (one edge ``(node, output_nr)`` per differentiable input), the
tensors it saved (with their version at save time) and its ``backward``, which is
written in differentiable tensor ops so that ``create_graph=True`` works.
"""
import itertools
import weakref

from .grad_mode import STATE

__all__ = ["Node", "AccumulateGrad", "record", "edge_of", "RemovableHandle", "retain_grad", "register_tensor_hook"]

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key", "_extra")
    _next = [0]

    def __init__(self, hooks, extra_dict=None):
        self._hooks = hooks
        RemovableHandle._next[0] += 1
        self._key = RemovableHandle._next[0]
        # Side tables keyed like ``hooks`` (e.g. which module hooks take kwargs) go with it.
        self._extra = () if extra_dict is None else (
            tuple(extra_dict) if isinstance(extra_dict, (list, tuple)) else (extra_dict,))

    @property
    def id(self):
        return self._key

    def remove(self):
        self._hooks.pop(self._key, None)
        for d in self._extra:
            d.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _SavedOutput:
    """An output of the node that saved it (PyTorch's SavedVariable for outputs).

    Saving the tensor itself would make a cycle (tensor -> grad_fn -> saved tensor) that
    only the cycle collector frees, holding (device) memory for as long.  Instead this keeps
    a grad_fn-less alias (same memory, same version counter) and the output number, and
    rebuilds the output, pointing at the node, on unpack (so double backward still sees it).
    """

    __slots__ = ("alias", "output_nr")

    def __init__(self, t):
        self.alias = t.detach()
        self.output_nr = t._output_nr

    def unpack(self, node):
        t = self.alias.detach()
        t.grad_fn = node
        t._output_nr = self.output_nr
        t._requires_grad = True
        return t


def _pack_outputs(node, saved):
    """``saved`` with every output of ``node`` (``grad_fn is node``) held as a _SavedOutput."""
    return tuple(_SavedOutput(t) if t is not None and type(t) is not _SavedOutput and t.grad_fn is node
                 else t for t in saved)


class Node:
    """Base class of every backward node.  Subclasses implement ``backward(self, *grads)``
    returning one gradient (or None) per differentiable input."""

    __slots__ = ("next_functions", "needs_input_grad", "_saved", "_versions", "_freed",
                 "_pre_hooks", "_hooks", "_nout", "_seq", "__weakref__", "__dict__")

    def __init__(self):
        self._saved = None
        self._freed = False
        self._pre_hooks = None
        self._hooks = None
        self._nout = 1

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def save_for_backward(self, *tensors):
        # Ops save before `record` makes them the outputs' grad_fn; `record` packs those then.
        self._saved = _pack_outputs(self, tensors)
        self._versions = tuple(t._storage.version if t is not None else 0 for t in tensors)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        saved = self._saved
        if saved is None:
            return ()
        unpacked = []
        for i, (t, v) in enumerate(zip(saved, self._versions)):
            if type(t) is _SavedOutput:
                t = t.unpack(self)
            unpacked.append(t)
            if t is not None and t._storage.version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.type()} {list(t.shape)}], which is input {i} of "
                    f"{self.name()}, is at version {t._storage.version}; expected version {v} instead. "
                    "Hint: the operation that failed was an in-place op on a tensor saved for backward; "
                    "use an out-of-place op or .clone() the tensor before modifying it.")
        return tuple(unpacked)

    def _release(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True
        self.__dict__.pop("_saved_extra", None)

    def register_hook(self, fn):
        """Hook ``fn(grad_inputs, grad_outputs)`` run after this node's backward."""
        if self._hooks is None:
            self._hooks = {}
        h = RemovableHandle(self._hooks)
        self._hooks[h._key] = fn
        return h

    def register_prehook(self, fn):
        """Hook ``fn(grad_outputs)`` run before this node's backward; may return new grads."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h._key] = fn
        return h

    def backward(self, *grads):
        raise NotImplementedError(f"{self.name()}.backward is not implemented")

    def apply_backward(self, grads):
        """Engine entry: ``grads`` has one entry (or None) per output received so far."""
        if len(grads) < self._nout:
            grads = list(grads) + [None] * (self._nout - len(grads))
        r = self.backward(*grads)
        if not isinstance(r, tuple):
            r = (r,)
        return r


class AccumulateGrad(Node):
    """Leaf node: adds incoming gradients into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        Node.__init__(self)
        self.variable = variable
        self.next_functions = ()
        self.needs_input_grad = ()


def edge_of(t):
    """The graph edge a gradient for tensor ``t`` must flow into."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if not t._requires_grad:
        return (None, 0)
    ref = t._grad_acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._grad_acc = weakref.ref(acc)
    return (acc, 0)


def needs_grad(*tensors):
    """True when grad mode is on and any of ``tensors`` (Tensor or None) requires grad."""
    if not STATE.enabled:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


# Recording order of nodes (PyTorch's sequence_nr): a node's ``_seq`` exceeds every number
# drawn before it was recorded, which is how utils.checkpoint tells the nodes one call
# recorded from the older graph they lead into.
_SEQUENCE = itertools.count(1)


def record(node, inputs, outputs):
    """Attach ``node`` as grad_fn of ``outputs``; its edges point at ``inputs``' history."""
    node._seq = next(_SEQUENCE)
    node.next_functions = tuple(edge_of(t) if t is not None else (None, 0) for t in inputs)
    node.needs_input_grad = tuple(t is not None and t._requires_grad for t in inputs)
    node._nout = len(outputs)
    for i, o in enumerate(outputs):
        if o is not None:
            o.grad_fn = node
            o._output_nr = i
            o._requires_grad = True
    saved = node._saved
    if saved:
        node._saved = _pack_outputs(node, saved)
    return node


def retain_grad(t):
    """`Tensor.retain_grad`: the engine will accumulate non-leaf ``t``'s gradient into ``t.grad``
    (see engine's `_tensor_pre_hooks`)."""
    if t.grad_fn is None:
        if not t._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        return
    ex = t._extras()
    if ex.get("retains_grad"):
        return
    ex["retains_grad"] = True
    retains = t.grad_fn.__dict__.setdefault("_retains", {})
    retains[t._output_nr] = weakref.ref(t)


def register_tensor_hook(t, hook):
    """`Tensor.register_hook`: a leaf's hooks run before accumulation (engine's `run_leaf_hooks`),
    a non-leaf's as a pre-hook of its grad_fn on its output."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    ex = t._extras()
    if t.grad_fn is None:
        hooks = ex.setdefault("hooks", {})
        h = RemovableHandle(hooks)
        hooks[h._key] = hook
        return h
    nr = t._output_nr

    def _pre(grads):
        g = grads[nr] if nr < len(grads) else None
        if g is None:
            return None
        r = hook(g)
        if r is None:
            return None
        grads = list(grads)
        grads[nr] = r
        return tuple(grads)
    return t.grad_fn.register_prehook(_pre)
