"""The mini-project: a small CNN, under a parameter budget, trained on glyphs in the notebook.

How the trained weights reach the grader without retraining (README "The mini-project"):
the answer cell builds the network, then its ``epilogue`` loads ``glyphs_weights.npz``
if it exists and otherwise trains (``convdojo.glyphs.fit``, under a minute) and saves it,
plain arrays only (``np.savez``; loaded with ``allow_pickle=False``). The file is
submitted with the notebook; the sandbox gets it inside the notebook
(``convdojo.grade.side_files``). When grading, the notebook runs as usual and the weights
load; where the file is missing, the sandbox's stand-in glyphs make the cell say so (it
never trains there). The sandbox exports the trained network as plain data like
every layer answer; ``convdojo.checks.project`` rebuilds it and measures it on images
drawn from the course secret.
"""

from __future__ import annotations

from torch import nn

from ..exercise_code import WEIGHTS_FILE
from ..glyphs import CLASSES, SIZE
from .model import Assignment, ProjectSpec, WrittenSpec

BUDGET = 5000

EPILOGUE = f"""\
# Load the weights you trained, or train now (under a minute) and save them next to this
# notebook as plain arrays. Submit {WEIGHTS_FILE} with the notebook: the grader does not train.
# After changing the network, delete {WEIGHTS_FILE} and run this cell again.
if model is not None and os.path.exists("{WEIGHTS_FILE}"):
    saved = np.load("{WEIGHTS_FILE}", allow_pickle=False)
    model.load_state_dict({{k: torch.from_numpy(saved[k]) for k in saved.files}})
    model.eval()
elif model is not None and not isinstance(glyphs.CLASSES, tuple):  # the grader's stand-in
    raise FileNotFoundError("{WEIGHTS_FILE} is not next to the notebook: the grader does not "
                            "train. Run this cell in JupyterLab and submit the file.")
elif model is not None:
    print(glyphs.fit(model, x_train, y_train))
    np.savez("{WEIGHTS_FILE}", **{{k: v.numpy() for k, v in model.state_dict().items()}})"""

# Cannot vary: the student designs and trains a network of their own, so answers differ
# anyway; the glyphs' size and classes are the data set's, and the budget and accuracy
# thresholds are calibrated on them. The grader's test glyphs come from the course secret.
mini_project = ProjectSpec(
    id="mini_project",
    title="Design and train a glyph classifier",
    prompt=(
        f"Design an `nn.Sequential` that classifies the 16×16 glyphs ({', '.join(CLASSES)}) "
        f"into 5 classes: input (N, 1, {SIZE}, {SIZE}), output (N, 5) class scores. It may "
        f"have at most **{BUDGET:,} parameters** and use Conv2d, BatchNorm2d, ReLU, pooling, "
        "Dropout, Flatten and Linear layers. The cell trains it on `x_train` with "
        "`glyphs.fit` (Adam, well under a minute on a laptop CPU) and saves the weights. "
        "The grader measures the accuracy on glyphs drawn for grading, which you never see: "
        "92 % earns full marks, with partial credit from 45 % (see the grading policy). "
        "The self-check measures it on a validation set of the same kind."
    ),
    answer_name="model",
    points=5,
    solution=(
        "torch.manual_seed(0)  # the same initial weights on every run\n"
        "model = nn.Sequential(\n"
        "    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 8 × 8\n"
        "    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 4 × 4\n"
        "    nn.Conv2d(16, 24, 3, padding=1), nn.ReLU(),\n"
        "    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 5),  # 4,853 parameters\n"
        ")"
    ),
    hints=("Trace your design first: convdojo.trace(model, (1, 1, 16, 16)) shows its "
           "parameters against the budget.",
           "A global average pool before the Linear keeps the head tiny."),
    input_shape=(8, 1, SIZE, SIZE),
    classes=CLASSES,
    budget=BUDGET,
    layer_types=(nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU, nn.MaxPool2d, nn.AvgPool2d,
                 nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Dropout, nn.Flatten, nn.Linear),
    container_types=(nn.Sequential,),
    weights_file=WEIGHTS_FILE,
    epilogue=EPILOGUE,
    public_seed=1,
    test_count=1000,
)

what_it_confuses = WrittenSpec(
    id="what_it_confuses",
    title="What your network confuses",
    prompt=(
        "Run the self-check and read the confusion matrix. Which two classes does your "
        "network confuse most, and why might they look alike to it at 16×16 with noise? "
        "Name one change (to the network or to training) you would try first, and why."
    ),
    rubric=(
        "Full marks (2): names the pair from the matrix (1 pt); a plausible reason tied to "
        "the images (e.g. a plus and a square outline share straight strokes; a ring and a "
        "square at small sizes) and a change with its reason (more channels early, "
        "keeping more resolution before pooling, more epochs) (1 pt)."
    ),
    points=2,
)

SPECS = (mini_project,)
WRITTEN = (what_it_confuses,)
ASSIGNMENT = Assignment(
    name="mini_project",
    title="Mini-project: a small network that trains",
    notebook="mini_project.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=45,
)
