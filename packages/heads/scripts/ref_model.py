"""Plain-PyTorch reimplementation of mmseg's DeepLabV3+ (ResNetV1c-D8 + DepthwiseSeparableASPPHead
+ FCNHead auxiliary head) with mmseg's module names, so that `state_dict()` keys equal those of an
mmseg `EncoderDecoder` checkpoint (`backbone.stem.0.weight`, `decode_head.image_pool.1.conv.weight`,
...). No mmseg/mmcv import: written from the semantics of mmseg/models/backbones/resnet.py,
utils/res_layer.py, decode_heads/{aspp_head,sep_aspp_head,fcn_head,decode_head}.py and
segmentors/encoder_decoder.py. Run with Debian's python3-torch: /usr/bin/python3.
"""

import torch
import torch.nn.functional as F
from torch import nn


class ConvModule(nn.Module):
    """mmcv ConvModule: conv (bias only without norm) -> bn -> relu; names conv/bn/activate."""

    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, norm=True, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding, dilation, groups, bias=not norm)
        self.with_norm = norm
        if norm:
            self.bn = nn.BatchNorm2d(cout)
        self.with_act = act
        if act:
            self.activate = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv(x)
        if self.with_norm:
            x = self.bn(x)
        if self.with_act:
            x = self.activate(x)
        return x


class DepthwiseSeparableConvModule(nn.Module):
    def __init__(self, cin, cout, k, padding=0, dilation=1):
        super().__init__()
        self.depthwise_conv = ConvModule(cin, cin, k, padding=padding, dilation=dilation, groups=cin)
        self.pointwise_conv = ConvModule(cin, cout, 1)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        # mmseg's BasicBlock: conv2 is never dilated
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        # pytorch style: the stride sits on the 3x3 conv
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def res_layer(block, inplanes, planes, blocks, stride, dilation, avg_down, contract_dilation):
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        ds = []
        conv_stride = stride
        if avg_down:
            conv_stride = 1
            # mmseg appends the pool even at stride 1 (kernel 1 = identity)
            ds.append(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False))
        ds += [
            nn.Conv2d(inplanes, planes * block.expansion, 1, conv_stride, bias=False),
            nn.BatchNorm2d(planes * block.expansion),
        ]
        downsample = nn.Sequential(*ds)
    first = dilation // 2 if (dilation > 1 and contract_dilation) else dilation
    layers = [block(inplanes, planes, stride, first, downsample)]
    for _ in range(1, blocks):
        layers.append(block(planes * block.expansion, planes, 1, dilation))
    return nn.Sequential(*layers)


ARCH = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


class ResNet(nn.Module):
    def __init__(self, depth=50, stem_channels=64, base_channels=64, strides=(1, 2, 1, 1),
                 dilations=(1, 1, 2, 4), deep_stem=True, avg_down=False, contract_dilation=True):
        super().__init__()
        block, blocks = ARCH[depth]
        self.deep_stem = deep_stem
        if deep_stem:
            s = stem_channels
            self.stem = nn.Sequential(
                nn.Conv2d(3, s // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(s // 2), nn.ReLU(inplace=True),
                nn.Conv2d(s // 2, s // 2, 3, 1, 1, bias=False), nn.BatchNorm2d(s // 2), nn.ReLU(inplace=True),
                nn.Conv2d(s // 2, s, 3, 1, 1, bias=False), nn.BatchNorm2d(s), nn.ReLU(inplace=True))
        else:
            self.conv1 = nn.Conv2d(3, stem_channels, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(stem_channels)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem_channels
        self.res_layers = []
        for i, n in enumerate(blocks):
            planes = base_channels * 2**i
            layer = res_layer(block, inplanes, planes, n, strides[i], dilations[i], avg_down,
                              contract_dilation)
            inplanes = planes * block.expansion
            name = f'layer{i + 1}'
            self.add_module(name, layer)
            self.res_layers.append(name)

    def forward(self, x):
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.bn1(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for name in self.res_layers:
            x = getattr(self, name)(x)
            outs.append(x)
        return outs


def resize(x, size):
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


class DecodeHeadBase(nn.Module):
    def __init__(self, channels, num_classes, in_index):
        super().__init__()
        self.in_index = in_index
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)
        nn.init.normal_(self.conv_seg.weight, 0, 0.01)
        nn.init.zeros_(self.conv_seg.bias)

    def cls_seg(self, x):
        return self.conv_seg(self.dropout(x))


class FCNHead(DecodeHeadBase):
    def __init__(self, in_channels, channels, num_classes, in_index=2, num_convs=1, kernel_size=3,
                 dilation=1, concat_input=False):
        super().__init__(channels, num_classes, in_index)
        pad = (kernel_size // 2) * dilation
        convs = [ConvModule(in_channels, channels, kernel_size, padding=pad, dilation=dilation)]
        for _ in range(num_convs - 1):
            convs.append(ConvModule(channels, channels, kernel_size, padding=pad, dilation=dilation))
        self.convs = nn.Sequential(*convs)
        self.concat_input = concat_input
        if concat_input:
            self.conv_cat = ConvModule(in_channels + channels, channels, kernel_size,
                                       padding=kernel_size // 2)

    def forward(self, inputs):
        x = inputs[self.in_index]
        out = self.convs(x)
        if self.concat_input:
            out = self.conv_cat(torch.cat([x, out], 1))
        return self.cls_seg(out)


class DepthwiseSeparableASPPHead(DecodeHeadBase):
    def __init__(self, in_channels, channels, num_classes, c1_in_channels, c1_channels,
                 dilations=(1, 12, 24, 36), in_index=3):
        super().__init__(channels, num_classes, in_index)
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(in_channels, channels, 1))
        mods = []
        for d in dilations:
            if d == 1:
                mods.append(ConvModule(in_channels, channels, 1))
            else:
                mods.append(DepthwiseSeparableConvModule(in_channels, channels, 3, padding=d, dilation=d))
        self.aspp_modules = nn.ModuleList(mods)
        self.bottleneck = ConvModule((len(dilations) + 1) * channels, channels, 3, padding=1)
        self.c1_bottleneck = ConvModule(c1_in_channels, c1_channels, 1)
        self.sep_bottleneck = nn.Sequential(
            DepthwiseSeparableConvModule(channels + c1_channels, channels, 3, padding=1),
            DepthwiseSeparableConvModule(channels, channels, 3, padding=1))

    def forward(self, inputs):
        x = inputs[self.in_index]
        outs = [resize(self.image_pool(x), x.shape[2:])]
        outs += [m(x) for m in self.aspp_modules]
        out = self.bottleneck(torch.cat(outs, 1))
        c1 = self.c1_bottleneck(inputs[0])
        out = resize(out, c1.shape[2:])
        out = self.sep_bottleneck(torch.cat([out, c1], 1))
        return self.cls_seg(out)


class ASPPHead(DecodeHeadBase):
    """mmseg ASPPHead (DeepLabV3): plain 3x3 dilated branches."""

    def __init__(self, in_channels, channels, num_classes, dilations=(1, 6, 12, 18), in_index=3):
        super().__init__(channels, num_classes, in_index)
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(in_channels, channels, 1))
        self.aspp_modules = nn.ModuleList([
            ConvModule(in_channels, channels, 1 if d == 1 else 3, padding=0 if d == 1 else d, dilation=d)
            for d in dilations])
        self.bottleneck = ConvModule((len(dilations) + 1) * channels, channels, 3, padding=1)

    def forward(self, inputs):
        x = inputs[self.in_index]
        outs = [resize(self.image_pool(x), x.shape[2:])] + [m(x) for m in self.aspp_modules]
        return self.cls_seg(self.bottleneck(torch.cat(outs, 1)))


class EncoderDecoder(nn.Module):
    def __init__(self, width=1.0, num_classes=19, with_aux=True):
        super().__init__()

        def w(c):
            return max(1, int(round(c * width)))

        self.backbone = ResNet(50, stem_channels=w(64), base_channels=w(64))
        c = [w(64) * 4 * 2**i for i in range(4)]
        self.decode_head = DepthwiseSeparableASPPHead(c[3], w(512), num_classes, c[0], w(48))
        self.auxiliary_head = FCNHead(c[2], w(256), num_classes) if with_aux else None

    def forward(self, img):
        feats = self.backbone(img)
        dec = self.decode_head(feats)
        seg = resize(dec, img.shape[2:])
        aux = self.auxiliary_head(feats) if self.auxiliary_head is not None else None
        return feats, dec, seg, aux


def count(module):
    return sum(p.numel() for p in module.parameters())
