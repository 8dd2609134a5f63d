"""Frozen exercise specs: the one place an exercise's rule, constraints and variants live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .rules import RAISES, Rule, Shape

__all__ = [
    "Domain", "Draw", "Variant", "Constraint", "LayerSpec", "ValueSpec", "FunctionSpec",
    "ProjectSpec", "WrittenSpec",
    "Mistake", "Assignment", "Spec", "ZEROS", "defining",
]


@dataclass(frozen=True)
class Variant:
    """One input the answer is run on; ``label`` says what kind it is, never its numbers."""

    input_shape: Shape
    label: str
    hidden: bool = False


@dataclass(frozen=True)
class Draw:
    """A kind of hidden input, declared by its range: the grader draws the input itself
    at grade time from the course secret (``specs.variants.draw_hidden``).

    ``parity`` is "odd" (every side odd), "even", "mixed" (odd and even sides) or None;
    ``square`` True/False forces equal sides or not; ``channels`` None means the
    exercise's input channels, else a (low, high) range; ``dims`` is the number of
    spatial axes: 1 for (N, C, L), 2 for (N, C, H, W), 3 for (N, C, T, H, W).
    """

    label: str
    low: int = 2
    high: int = 48
    max_batch: int = 5
    square: bool | None = None
    parity: str | None = None
    channels: tuple[int, int] | None = None
    count: int = 1
    dims: int = 2


@dataclass(frozen=True)
class Domain:
    """Which numbers of an exercise vary per student, and over what range.

    ``build(**numbers)`` returns the exercise's spec with those numbers (the spec
    built with ``defaults`` is today's fixed one); ``valid(**numbers)`` rejects
    combinations the rule does not allow. A spec without a domain cannot vary.
    Exercises with the same ``group`` (and ranges) get the same numbers.
    """

    ranges: tuple[tuple[str, tuple[Any, ...]], ...]
    build: Callable[..., Any]
    defaults: tuple[tuple[str, Any], ...]
    valid: Callable[..., bool] = lambda **numbers: True
    group: str = ""  # exercises about one object (a layer) share a group, so its numbers

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.ranges)

    def size(self) -> int:
        """How many valid combinations there are (the ranges are small)."""
        import itertools

        values = [choices for _, choices in self.ranges]
        return sum(1 for combo in itertools.product(*values)
                   if self.valid(**dict(zip(self.names, combo))))


@dataclass(frozen=True)
class Constraint:
    """A hyperparameter the prompt fixes, e.g. ``kernel_size in {(3, 3)}``.

    ``attr`` is read from the layer at ``layer`` (its index among the answer's leaf
    layers); see ``convdojo.checks.structure.attribute`` for the derived attributes
    (``padding_px``, ``params``, ``bias``). A ``defining`` constraint is the point of
    the exercise (breaking it caps the score at half, ``convdojo.checks.policy``); any
    other is a secondary slip with a small deduction.
    """

    attr: str
    allowed: tuple[Any, ...] | Callable[[Any], bool]
    text: str
    layer: int = 0
    defining: bool = False

    def accepts(self, value: Any) -> bool:
        if callable(self.allowed):
            return bool(self.allowed(value))
        return value in self.allowed


def defining(attr: str, allowed: tuple[Any, ...] | Callable[[Any], bool], text: str,
             layer: int = 0) -> Constraint:
    """A constraint that is the point of the exercise (the kernel size the prompt names...)."""
    return Constraint(attr, allowed, text, layer, defining=True)


# The constraint most convolution exercises share: a secondary slip when broken.
ZEROS = Constraint("padding_mode", ("zeros",), "zero padding (the default padding_mode)")


@dataclass(frozen=True)
class Mistake:
    """A recognised wrong value answer and the lesson it calls for."""

    matches: Callable[[Any], bool]
    message: str


@dataclass(frozen=True)
class _Base:
    id: str
    title: str
    prompt: str
    answer_name: str
    points: float
    solution: str
    hints: tuple[str, ...] = ()
    domain: Domain | None = None  # None: the numbers are fixed ("cannot vary")
    numbers: tuple[tuple[str, Any], ...] = ()  # the domain's numbers this spec was built with


@dataclass(frozen=True)
class LayerSpec(_Base):
    """An answer that is a layer (or a small container of layers) with a shape rule."""

    input_shape: Shape = (1, 1, 1, 1)
    rule: Rule | None = None
    layer_types: tuple[type, ...] = ()
    container_types: tuple[type, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    variants: tuple[Variant, ...] = ()
    hidden_draws: tuple[Draw, ...] = ()  # drawn at grade time from the course secret
    min_layers: int = 1
    max_layers: int = 1
    kind: str = field(default="layer", init=False)

    @property
    def target_shape(self) -> Shape:
        out = self.rule(self.input_shape) if self.rule else None
        assert out is not RAISES and out is not None
        return out  # type: ignore[return-value]

    def all_variants(self, hidden: bool) -> tuple[Variant, ...]:
        shown = Variant(tuple(self.input_shape), "shown input")
        return (shown,) + tuple(v for v in self.variants if hidden or not v.hidden)

    def expected(self, variant: Variant) -> Shape | object:
        assert self.rule is not None
        return self.rule(variant.input_shape)


@dataclass(frozen=True)
class ValueSpec(_Base):
    """An answer that is a plain value (a shape, a count), compared with torch's own."""

    expected: Callable[[], Any] = lambda: None
    normalize: Callable[[Any], Any] = lambda v: v
    mistakes: tuple[Mistake, ...] = ()
    kind: str = field(default="value", init=False)


@dataclass(frozen=True)
class FunctionSpec(_Base):
    """An answer that is a function, called on shown and hidden arguments."""

    cases: tuple[tuple[tuple[Any, ...], dict[str, Any], bool], ...] = ()  # args, kwargs, hidden
    # hidden cases are drawn at grade time from the course secret: draw(rng, i) -> (args,
    # kwargs) for the i-th of them; i lets a spec give each case the kind it needs
    hidden_case: Callable[[Any, int], tuple[tuple[Any, ...], dict[str, Any]]] | None = None
    hidden_count: int = 0
    reference: Callable[..., Any] = lambda *a, **k: None
    compare: Callable[[Any, Any], bool] = lambda got, want: got == want
    mistakes: tuple[Mistake, ...] = ()
    kind: str = field(default="function", init=False)


@dataclass(frozen=True)
class ProjectSpec(_Base):
    """A network the student designs and trains; graded on images the student never had.

    The notebook saves the trained weights as plain data (``weights_file``, NumPy's .npz)
    next to itself and its answer cell loads them (``epilogue``), so grading never trains.
    """

    input_shape: Shape = (1, 1, 16, 16)
    classes: tuple[str, ...] = ()
    budget: int = 0  # at most this many parameters
    layer_types: tuple[type, ...] = ()
    container_types: tuple[type, ...] = ()
    min_layers: int = 1
    max_layers: int = 40
    weights_file: str = ""
    epilogue: str = ""  # code after the answer, in the student's cell too: load or train
    public_seed: int = 1  # the self-check's validation images; the grader's come from the
    test_count: int = 1000  # course secret (convdojo.checks.project)
    kind: str = field(default="project", init=False)


@dataclass(frozen=True)
class WrittenSpec:
    """A manually graded written answer, with its rubric for the grader."""

    id: str
    title: str
    prompt: str
    rubric: str
    points: float
    kind: str = field(default="written", init=False)


Spec = LayerSpec | ValueSpec | FunctionSpec | ProjectSpec


@dataclass(frozen=True)
class Assignment:
    """An nbgrader assignment: one notebook, its autograded exercises and written questions."""

    name: str
    title: str
    notebook: str
    exercises: tuple[str, ...]
    written: tuple[str, ...] = ()
    minutes: int = 45
