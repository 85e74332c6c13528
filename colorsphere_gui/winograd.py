"""Winograd F(2x2, 3x3) convolution for CPU inference: 16 multiplications where direct needs 36.

ECCV16 already runs at a CPU's peak floating-point rate through oneDNN (about 60 GMAC/s per Zen 4
core), so only doing less arithmetic makes it faster, and PyTorch's CPU backend has no Winograd path.
Lavin and Gray's F(2x2, 3x3) computes each 2x2 block of outputs from a 4x4 input tile; here the tile
transforms are one small matrix product each and the 16 channel mixes one batched matrix product.
In float32 it differs from direct convolution by rounding only (about 5e-7 relative, see
tests/test_winograd.py). It pays off on wide layers at small sizes, which is where Zhang et al.'s
networks spend their time: about 1.4x on ECCV16's 512-channel 32x32 layers, which do 70% of its
arithmetic; narrower layers stay direct.
"""

from __future__ import annotations

import ctypes
import threading

import torch
import torch.nn.functional as F
from torch import nn

# Narrower layers gain too little, or lose, against oneDNN's direct convolution: their tile transforms
# move as much memory as the product saves (measured on ECCV16's 256-channel 64x64 layers).
MIN_CHANNELS = 512

_BT = torch.tensor([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=torch.float32)
_G = torch.tensor([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=torch.float32)
_AT = torch.tensor([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=torch.float32)
# B^T d B and A^T m A on row-major flattened tiles are products with these Kronecker matrices.
_TILE_IN = torch.kron(_BT, _BT)  # 16 x 16
_TILE_OUT = torch.kron(_AT, _AT)  # 4 x 16
_KERNEL = torch.kron(_G, _G)  # 16 x 9: G g G^T


def _eligible(m: nn.Module) -> bool:
    return (
        type(m) is nn.Conv2d
        and m.kernel_size == (3, 3)
        and m.stride == (1, 1)
        and m.groups == 1
        and m.padding_mode == "zeros"
        and m.dilation in ((1, 1), (2, 2))
        and m.padding == m.dilation  # "same" size, as every 3x3 layer of Zhang's networks
        and m.out_channels >= MIN_CHANNELS
    )


class WinogradConv3x3(nn.Module):
    """Drop-in replacement of a stride-1, same-size 3x3 convolution (dilation 1 or 2) for inference."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        w = conv.weight.detach().float()
        co, ci = w.shape[:2]
        self.dilation = conv.dilation[0]
        # The 16 transformed kernels are made on each call (about 2 ms for 512 x 512 channels) rather than
        # kept: kept, they would hold 16/9 of the weights' memory, 85 MB more for ECCV16.
        self.register_buffer("weight9", w.permute(2, 3, 0, 1).reshape(9, co * ci).contiguous())
        bias = conv.bias.detach().float().clone() if conv.bias is not None else torch.zeros(co)
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        step = 2 * self.dilation  # tiles of 2 outputs, in each of dilation x dilation phases
        ph, pw = -h % step, -w % step
        if ph or pw:  # extra zero rows/columns are what the convolution's own zero padding reads there
            x = F.pad(x, (0, pw, 0, ph))
        if self.dilation == 2:
            # a dilation-2 convolution is an ordinary one on each of the 4 interleaved sub-images
            hh, hw = (h + ph) // 2, (w + pw) // 2
            x = x.view(n, -1, hh, 2, hw, 2).permute(0, 3, 5, 1, 2, 4).reshape(4 * n, -1, hh, hw)
            y = self._dense(x)
            y = y.view(n, 2, 2, -1, hh, hw).permute(0, 3, 4, 1, 5, 2).reshape(n, -1, 2 * hh, 2 * hw)
        else:
            y = self._dense(x)
        return y[:, :, :h, :w] if ph or pw else y

    def _dense(self, x: torch.Tensor) -> torch.Tensor:
        """Dilation 1, padding 1, sides even."""
        n, c, h, w = x.shape
        th, tw = h // 2, w // 2
        tiles = F.pad(x, (1, 1, 1, 1)).unfold(2, 4, 2).unfold(3, 4, 2)  # n, c, th, tw, 4, 4
        tiles = tiles.permute(4, 5, 1, 0, 2, 3).reshape(16, -1)
        v = (_TILE_IN @ tiles).view(16, c, n * th * tw)
        co = self.bias.shape[0]
        m = torch.bmm(_kernels(self.weight9).view(16, co, c), v)  # 16, co, tiles
        y = (_TILE_OUT @ m.view(16, -1)).view(2, 2, co, n, th, tw)
        y = y.permute(3, 2, 4, 0, 5, 1).reshape(n, co, h, w)
        return y.add_(self.bias.view(1, -1, 1, 1))


_scratch = threading.local()


def _kernels(weight9: torch.Tensor) -> torch.Tensor:
    """The 16 transformed kernels, in a buffer each thread reuses: a fresh 17 MB allocation per layer
    costs more in page faults than the transform itself."""
    size = 16 * weight9.shape[1]
    buffer = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.numel() < size:
        buffer = _scratch.buffer = torch.empty(size)
    return torch.matmul(_KERNEL, weight9, out=buffer[:size].view(16, -1))


def convert(net: nn.Module) -> nn.Module:
    """Replace every eligible 3x3 convolution of a CPU inference network in place; returns net."""
    _replace(net)
    _return_freed_memory()
    return net


def _replace(net: nn.Module) -> None:
    for name, child in net.named_children():
        if _eligible(child):
            setattr(net, name, WinogradConv3x3(child))
        else:
            _replace(child)


def _return_freed_memory() -> None:
    """glibc keeps the pages of the replaced weights and of the transform's temporaries (about 150 MB
    for ECCV16) unless asked to return them; elsewhere this is a no-op."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
