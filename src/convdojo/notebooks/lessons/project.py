"""The mini-project notebook: design a small CNN under a budget, train it, graded on fresh glyphs."""

from __future__ import annotations

from ...exercise_code import WEIGHTS_FILE
from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import os
import numpy as np
import torch
from torch import nn
import convdojo
from convdojo import check, glyphs"""

LESSON = Lesson(
    assignment="mini_project",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Mini-project: a small network that trains

**Learning goals.** After this notebook you can

- design a convolutional network for a given input size and number of classes, within
  a parameter budget, using what the earlier notebooks taught about shapes and cost;
- train it on a CPU in under a minute and read its confusion matrix;
- explain why a model is judged on data it never saw.

The images are *glyphs*: five shapes drawn at random positions and sizes on a noisy
background, generated from a seed (nothing is downloaded). The grader draws its own
glyphs for grading, which you never see: a network that memorised the training set
does not get the marks. Run the check below the answer cell as often as you like: a
failed check shows a hint, each further failed check shows the next one, and the last
hint stays. Estimated time: 45 minutes.

*Sources: d2l.ai §7.6 (training LeNet) and §4.4 (generalisation); CS231n notes
"Neural Networks 3" (babysitting the learning process).*"""),
        Code("data", """\
x_train, y_train = glyphs.make(8000, seed=0)   # (8000, 1, 16, 16) images, (8000,) labels
print(tuple(x_train.shape), glyphs.CLASSES)"""),
        Code("look", """\
# A few training glyphs as text: '#' marks bright pixels.
for i in range(3):
    print(glyphs.CLASSES[int(y_train[i])])
    print("\\n".join("".join("#" if v > 0.6 else "." for v in row)
                    for row in x_train[i, 0].tolist()))"""),
        Text("design", """
## Designing under a budget

The budget counts every parameter. Two 3×3 convolutions with pooling in between see a
glyph whole; a global average pool (`nn.AdaptiveAvgPool2d(1)`) then turns any feature
map into one number per channel, so the final `nn.Linear` stays small. Trace a design
before training it: the trace shows each layer's parameters and MACs."""),
        Code("trace_example", """\
convdojo.trace(nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 5)), (1, 1, 16, 16))"""),
        Task("mini_project"),
        Written("what_it_confuses"),
        Text("wrap_up", f"""
## Wrap-up

- A network is judged on data it has not seen: the validation glyphs in the self-check,
  the grader's own glyphs in the grade.
- Parameters are not the only cost: trace the network to see its MACs too.
- Submit `{WEIGHTS_FILE}` with the notebook; the grader loads it and never trains."""),
    ),
)
