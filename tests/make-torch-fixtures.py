#!/usr/bin/python3
"""Writes the PyTorch golden files that test-model-torch compares the engine with.

Run from anywhere:  /usr/bin/python3 tests/make-torch-fixtures.py
Needs Debian's python3-torch (not torchvision: the torchvision layout is
rebuilt here by hand, and checked against torchvision's known parameter
count). The files are committed, so the test suite itself needs no torch.

For each small network, one training step and one evaluation pass:
  init.<param>          every parameter and BN buffer before the step
                        (BN affine parameters and running statistics are
                        randomised so the test exercises them)
  input, labels         the batch (NCHW float32; labels as float32)
  train.logits, train.loss
  grad.<param>          d(loss)/d(param) of the training step
  after.<bn>.running_mean / running_var
                        the running statistics after the step
  eval.logits, eval.loss
                        evaluation mode, after the step
__metadata__ describes the architecture so the test can build the same one.

And torch-activations.safetensors, for test-acts-export and test-import
(which also reads the same weights from torch-activations.pth, torch.save
of the state dict, and torch-activations-weights.safetensors): a tiny
torchvision-style bottleneck network in evaluation mode on a few images of
bytes (pixels, NCHW uint8 stored as float32; the input is pixels / 255 as
Blockscope's batcher makes it), with init.<param> and act.<layer>, the
outputs of a few layers captured with forward hooks, named as Blockscope
names its layers (a block's output is <block>.relu3).

Also writes torch-param-counts.json: PyTorch's parameter counts for a few
full-size models (p.numel() summed over model.parameters()).
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class BasicBlock(nn.Module):
    """The paper's CIFAR block; projection = 1x1 strided conv without BN."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (v1.5: stride on the 3x3)."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        cout = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """Both families, as the engine's BsResnetSpec describes them."""

    def __init__(self, bottleneck, blocks, widths, stem, in_channels, classes):
        super().__init__()
        if bottleneck:
            self.conv1 = nn.Conv2d(in_channels, stem, 7, 2, 3, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if bottleneck else None
        cin = stem
        for s, (n, width) in enumerate(zip(blocks, widths)):
            layers = []
            for b in range(n):
                stride = 2 if (s > 0 and b == 0) else 1
                if bottleneck:
                    layers.append(Bottleneck(cin, width, stride))
                    cin = width * 4
                else:
                    layers.append(BasicBlock(cin, width, stride))
                    cin = width
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.n_stages = len(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        for s in range(self.n_stages):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def cifar(depth, width, in_channels=3, classes=10):
    n = (depth - 2) // 6
    return ResNet(False, [n] * 3, [16 * width, 32 * width, 64 * width], 16 * width, in_channels, classes)


def imagenet(blocks, classes=10):
    return ResNet(True, blocks, [64, 128, 256, 512], 64, 3, classes)


def save_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, t in tensors:
        t = t.detach().contiguous().to(torch.float32).cpu()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)
    return 8 + len(text) + offset


def make_fixture(name, model, metadata, batch, shape, seed):
    g = torch.Generator().manual_seed(seed)
    # Non-trivial BN parameters and running statistics.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1.0 + 0.3 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(1.0 + 0.5 * torch.rand(m.running_var.shape, generator=g))
    classes = metadata["classes"]
    x = torch.randn((batch,) + shape, generator=g)
    y = torch.randint(0, int(classes), (batch,), generator=g)

    state = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    tensors = [("init." + k, v) for k, v in state.items()]
    tensors += [("input", x), ("labels", y.to(torch.float32))]

    model.train()
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    tensors += [("train.logits", logits), ("train.loss", loss.reshape(1))]
    tensors += [("grad." + k, p.grad) for k, p in model.named_parameters()]
    tensors += [("after." + k, v) for k, v in model.state_dict().items()
                if k.endswith("running_mean") or k.endswith("running_var")]

    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y)
    tensors += [("eval.logits", logits), ("eval.loss", loss.reshape(1))]

    metadata = {k: str(v) for k, v in metadata.items()}
    metadata.update({"batch": str(batch), "input": "x".join(str(s) for s in shape),
                     "torch": torch.__version__, "seed": str(seed)})
    size = save_safetensors(os.path.join(OUT, name), tensors, metadata)
    print("%s: %d bytes, loss %.6f" % (name, size, loss.item()))


def make_activations_fixture(name, seed):
    g = torch.Generator().manual_seed(seed)
    model = ResNet(True, [2, 1], [4, 8], 8, 3, 5)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1.0 + 0.3 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(1.0 + 0.5 * torch.rand(m.running_var.shape, generator=g))
    batch, shape = 6, (3, 32, 32)
    pixels = torch.randint(0, 256, (batch,) + shape, generator=g).to(torch.uint8)
    x = pixels.to(torch.float32) / 255.0

    # PyTorch module -> Blockscope's layer name. Hooks clone: the ReLUs
    # after a batch norm work in place.
    hooked = {
        "conv1": "conv1", "bn1": "bn1", "maxpool": "maxpool",
        "layer1.0.conv2": "layer1.0.conv2", "layer1.0.bn3": "layer1.0.bn3",
        "layer1.0.downsample.1": "layer1.0.downsample.1", "layer1.0": "layer1.0.relu3",
        "layer1.1": "layer1.1.relu3", "layer2.0.conv2": "layer2.0.conv2",
        "layer2.0.downsample.0": "layer2.0.downsample.0", "layer2.0": "layer2.0.relu3",
        "fc": "fc",
    }
    captured = {}
    modules = dict(model.named_modules())
    for module_name, layer in hooked.items():
        def hook(module, inputs, output, layer=layer):
            captured[layer] = output.detach().clone()
        modules[module_name].register_forward_hook(hook)
    model.eval()
    with torch.no_grad():
        model(x)

    state = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    tensors = [("init." + k, v) for k, v in state.items()]
    tensors += [("pixels", pixels.to(torch.float32))]
    tensors += [("act." + layer, captured[layer]) for layer in hooked.values()]
    metadata = {"block": "bottleneck", "blocks": "2,1", "widths": "4,8", "stem": "8", "classes": "5",
                "batch": str(batch), "input": "3x32x32", "torch": torch.__version__, "seed": str(seed)}
    size = save_safetensors(os.path.join(OUT, name), tensors, metadata)
    print("%s: %d bytes" % (name, size))

    # The same weights as PyTorch users have them, for `blockscope-cli import`:
    # torch.save of the state dict (a zip with a pickle), and safetensors with
    # the state dict's own names (num_batches_tracked as F32 here).
    base = os.path.splitext(name)[0]
    torch.save(model.state_dict(), os.path.join(OUT, base + ".pth"))
    save_safetensors(os.path.join(OUT, base + "-weights.safetensors"),
                     list(model.state_dict().items()), {"format": "pt"})


def count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)

    # The paper's ResNet-8 as the engine builds it from its name.
    make_fixture("torch-resnet8.safetensors", cifar(8, 1, 3, 10),
                 {"model": "resnet8", "classes": 10}, 4, (3, 8, 8), 1)
    # A narrow ResNet-14 (two blocks per stage: identity and projection
    # shortcuts in every stage) on Fashion-MNIST-sized 28x28 grey images,
    # 7 classes: 28, 14 and 7 wide maps take the engine's direct 3x3 kernels
    # with partial vectors, at stride 1 and 2.
    make_fixture("torch-narrow14.safetensors",
                 ResNet(False, [2, 2, 2], [4, 8, 16], 4, 1, 7),
                 {"block": "basic", "blocks": "2,2,2", "widths": "4,8,16", "stem": 4, "classes": 7},
                 5, (1, 28, 28), 2)
    # A tiny torchvision-style bottleneck network: 7x7/2 stem, max-pool, one
    # stage with a projection and an identity block, one strided stage; 32x32
    # images as in the popular reproduction (8x8 maps after the stem).
    make_fixture("torch-bottleneck.safetensors",
                 ResNet(True, [2, 1], [4, 8], 8, 3, 5),
                 {"block": "bottleneck", "blocks": "2,1", "widths": "4,8", "stem": 8, "classes": 5},
                 4, (3, 32, 32), 3)

    make_activations_fixture("torch-activations.safetensors", 4)

    counts = {
        "resnet20": count(cifar(20, 1)),
        "resnet56": count(cifar(56, 1)),
        "resnet20x4": count(cifar(20, 4)),
        "resnet110": count(cifar(110, 1)),
        "imagenet-resnet50": count(imagenet([3, 4, 6, 3])),
        "imagenet-resnet101": count(imagenet([3, 4, 23, 3])),
        "imagenet-resnet152": count(imagenet([3, 8, 36, 3])),
    }
    # torchvision.models.resnet50(num_classes=10) has 23,528,522 parameters:
    # the hand-built layout must agree.
    assert counts["imagenet-resnet50"] == 23528522, counts["imagenet-resnet50"]
    tmp = os.path.join(OUT, "torch-param-counts.json.tmp")
    with open(tmp, "w") as f:
        json.dump({"classes": 10, "counts": counts}, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(OUT, "torch-param-counts.json"))
    print(counts)


main()
