"""`VisionDataset`: the base of tritorch.vision's datasets (torchvision's), a map-style dataset
(``__getitem__`` + ``__len__``) that applies ``transform`` to the image and
``target_transform`` to the target."""
import os


class VisionDataset:
    """Base class: ``root`` (a str or path, ``~`` expanded; None for bundled data),
    ``transform`` (image -> image) and ``target_transform`` (target -> target)."""
    _repr_indent = 4

    def __init__(self, root=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    def _apply(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transform is not None:
            body += _indented("Transform: ", repr(self.transform))
        if self.target_transform is not None:
            body += _indented("Target transform: ", repr(self.target_transform))
        return "\n".join([f"Dataset {self.__class__.__name__}"] + [" " * self._repr_indent + line for line in body])


def _indented(head, text):
    lines = text.splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


def no_download(name, folder, files, source):
    """The RuntimeError for ``download=True``: tritorch.vision never touches the network."""
    return RuntimeError(f"{name}: download=True is not supported (tritorch.vision never downloads). Get the "
                        f"standard distribution files from {source} and place them in {folder}: "
                        f"{', '.join(files)}; then construct the dataset with download=False.")
