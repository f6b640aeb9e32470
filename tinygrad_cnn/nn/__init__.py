"""Layers and models as `Module`s, PyTorch's names: `from tinygrad_cnn import nn`."""
from . import init
from .layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Subsample, Tanh
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "Subsample",
           "ReLU", "Sigmoid", "Tanh", "Flatten", "Sequential", "init"]
