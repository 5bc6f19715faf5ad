"""The backward engine: walks the graph iteratively (no recursion, so a 10,000-step
chain works), in dependency order, accumulating gradients per (node, output)."""
from .graph import AccumulateGrad, edge_of
from .grad_mode import STATE, no_grad

__all__ = ["run_backward", "accumulate_grad", "run_leaf_hooks"]


def _collect(roots):
    """Dependency counts of every node reachable from ``roots`` (iterative DFS)."""
    deps = {}
    seen = set()
    stack = [n for n in roots if n is not None]
    for n in stack:
        seen.add(n)
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(roots, targets, run_targets):
    """Nodes worth executing: those passing a gradient on towards some target node.

    A target node itself runs only with ``run_targets`` (``backward(inputs=...)``, where
    PyTorch runs a non-leaf input's grad_fn); for ``autograd.grad`` its incoming gradient
    is captured instead, so the graph beyond the inputs is neither executed nor freed.
    """
    reach = set(targets)
    needed = set(targets) if run_targets else set()
    order = []
    seen = set()
    stack = [(n, False) for n in roots if n is not None]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt not in seen:
                stack.append((nxt, False))
    for n in order:  # post-order: children first
        if any(nxt in reach for nxt, _ in n.next_functions if nxt is not None):
            needed.add(n)
            reach.add(n)
    return needed


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, allow_unused=False,
                 accumulate=True):
    """Backpropagate ``grad_tensors`` from ``tensors``.

    With ``accumulate`` (``backward()``) leaf gradients go into ``.grad``, restricted to
    ``inputs`` when given (a non-leaf input retains its grad, as in PyTorch); otherwise
    (``autograd.grad``) the gradients flowing into ``inputs`` are returned.  With ``inputs``
    only the part of the graph leading to them runs.
    """
    roots = []
    for i, t in enumerate(tensors):
        if t.grad_fn is None and not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(edge_of(t))
    root_nodes = [n for n, _ in roots]
    deps, _ = _collect(root_nodes)

    captures = {}
    capture_edges = []
    capture_nodes = ()
    if inputs is not None:
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            if accumulate and t.grad_fn is not None:
                t.retain_grad()
            capture_edges.append(edge_of(t))
        if not accumulate:
            captures = dict.fromkeys(capture_edges)
            capture_nodes = {e[0] for e in capture_edges}
        needed = _needed(root_nodes, [e[0] for e in capture_edges], accumulate)
    else:
        needed = None

    buffers = {}
    for (node, nr), g in zip(roots, grad_tensors):
        buf = buffers.setdefault(node, {})
        buf[nr] = _add(buf.get(nr), g)

    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        ready = []
        for n in dict.fromkeys(root_nodes):
            if deps.get(n, 0) == 0:
                ready.append(n)
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, {})
            run = (needed is None or node in needed) and any(g is not None for g in buf.values())
            if run and isinstance(node, AccumulateGrad):
                run = accumulate
            if node in capture_nodes:
                if not run and any(g is not None for g in buf.values()):
                    # PyTorch captures after the tensor hooks (and retain_grad) of a node it
                    # does not run, and before them for one it runs.
                    grads = _tensor_pre_hooks(node, [buf.get(i) for i in range(max(buf) + 1)])
                    buf = {i: g for i, g in enumerate(grads) if g is not None}
                for nr, g in buf.items():
                    if (node, nr) in captures:
                        captures[(node, nr)] = _add(captures[(node, nr)], g)
            if run:
                grads_out = _call(node, buf, retain_graph, create_graph)
            else:
                grads_out = None
            for i, (nxt, nr) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                if grads_out is not None:
                    g = grads_out[i]
                    if g is not None:
                        b = buffers.setdefault(nxt, {})
                        b[nr] = _add(b.get(nr), g)
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    ready.append(nxt)
    finally:
        STATE.enabled = prev

    if inputs is None or accumulate:
        return None
    result = []
    for t, e in zip(inputs, capture_edges):
        g = captures[e]
        if g is not None and t.grad_fn is None and t._extra and t._extra.get("hooks"):
            g = run_leaf_hooks(t, g)
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


def _call(node, buf, retain_graph, create_graph):
    if isinstance(node, AccumulateGrad):
        g = buf.get(0)
        accumulate_grad(node.variable, g, create_graph)
        return None
    n_out = max(buf) + 1 if buf else 0
    grads = _tensor_pre_hooks(node, [buf.get(i) for i in range(n_out)])
    out = node.apply_backward(grads)
    if node._hooks:
        for hook in list(node._hooks.values()):
            r = hook(out, tuple(grads))
            if r is not None:
                out = tuple(r)
    if not retain_graph:
        node._release()
    return out


def _tensor_pre_hooks(node, grads):
    """Run ``node``'s pre-hooks (tensor hooks of its outputs), then feed retain_grad tensors."""
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
    retains = node.__dict__.get("_retains")
    if retains:  # retain_grad() sees the gradient after every tensor hook, as in PyTorch
        for nr, ref in list(retains.items()):
            t = ref()
            if t is not None and nr < len(grads) and grads[nr] is not None:
                _retain(t, grads[nr])
    return grads


def run_leaf_hooks(t, g):
    """The hooks registered on leaf ``t`` (`Tensor.register_hook`), in order, on its gradient ``g``."""
    for hook in list(t._extra["hooks"].values()):
        r = hook(g)
        if r is not None:
            g = r
    return g


def accumulate_grad(t, g, create_graph):
    """AccumulateGrad of leaf ``t``: run its hooks, then add ``g`` into ``t.grad``."""
    if g is None:
        return
    if t._extra and t._extra.get("hooks"):
        g = run_leaf_hooks(t, g)
    shape = t._data.shape
    if g._data.shape != shape:
        g = _grad_to_shape(g, shape)
    if g.dtype is not t.dtype:
        g = g.to(t.dtype)
    # g now has t's shape and dtype (and device): written to _grad without the setter's checks.
    if t._grad is None:
        # A copy: the same gradient tensor may reach several leaves (AddBackward passes
        # it through), and optimizers modify .grad in place.
        t._grad = g.clone() if create_graph else g.detach().clone()
    elif create_graph:
        t._grad = t._grad + g
    else:
        with no_grad():
            t._grad.add_(g.detach())


def _grad_to_shape(g, shape):
    """PyTorch's AccumulateGrad check: sum an expandable gradient down to the leaf's shape."""
    gs = g._data.shape
    n = len(gs) - len(shape)
    if n < 0 or any(s != 1 and s != gs[n + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"invalid gradient: got shape {list(gs)} but expected shape compatible with "
                           f"{list(shape)}")
    return g.sum_to_size(shape)


def _retain(t, g):
    """`retain_grad`: accumulate non-leaf ``t``'s gradient into ``t.grad``."""
    g = g.detach()
    # The engine's gradient already has t's shape, dtype and device: no setter checks.
    if t._grad is None:
        t._grad = g.clone()
    else:
        with no_grad():
            t._grad = t._grad + g
