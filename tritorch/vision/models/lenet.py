"""LeNet-5 in its common modern form (ReLU and max pooling where LeCun et al., 1998 used
scaled tanh and trainable subsampling), for 28x28 inputs such as MNIST: the first conv pads by 2,
which is the original's 32x32 input.

Layout (module names = state-dict keys; N is the batch):

    conv1  Conv2d(in_channels, 6, 5, padding=2)   (N, C, 28, 28) -> (N, 6, 28, 28), ReLU
    pool1  MaxPool2d(2)                                           -> (N, 6, 14, 14)
    conv2  Conv2d(6, 16, 5)                                       -> (N, 16, 10, 10), ReLU
    pool2  MaxPool2d(2)                                           -> (N, 16, 5, 5), flatten -> (N, 400)
    fc1    Linear(400, 120), ReLU
    fc2    Linear(120, 84), ReLU
    fc3    Linear(84, num_classes)                                -> (N, num_classes) logits
"""
from ... import flatten
from ... import nn

__all__ = ["LeNet"]


class LeNet(nn.Module):
    """LeNet-5 (see the module docstring for the layout).  Input: (N, in_channels, 28, 28).
    Output: (N, num_classes) logits."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.pool1(self.relu(self.conv1(x)))
        x = self.pool2(self.relu(self.conv2(x)))
        x = flatten(x, 1)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)
