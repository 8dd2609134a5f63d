"""Your numbers in the notebook: ``exercise("channels", 2)`` shows the prompt with the
numbers of the student the first cell identified, and returns that exercise's input.

Never the hidden inputs: this builds the student's spec without the course secret.
"""

from __future__ import annotations

from typing import Any

__all__ = ["exercise", "prompt_markdown", "mine"]


def mine(exercise_id: str) -> Any:
    """The spec with this kernel's student's numbers (no hidden inputs)."""
    from . import identity
    from .specs.personal import personal

    who = identity.current()
    return personal(exercise_id, who.student, who.course.without_secret())


def prompt_markdown(spec: Any, number: int) -> str:
    """The prompt as the notebook shows it: heading, text, and a layer's shapes and rule."""
    from .specs.model import LayerSpec

    text = f"## {number}. {spec.title}\n\n{spec.prompt}"
    if isinstance(spec, LayerSpec) and spec.rule is not None:
        text += (f"\n\n- input shape: `{tuple(spec.input_shape)}`"
                 f"\n- target shape: `{spec.target_shape}`"
                 f"\n- the rule: {spec.rule.text}")
    return text


def exercise(exercise_id: str, number: int = 0) -> Any:
    """Show the exercise with your numbers; return your input tensor (layer exercises)."""
    from IPython.display import Markdown, display

    spec = mine(exercise_id)
    display(Markdown(prompt_markdown(spec, number)))
    shape = getattr(spec, "input_shape", None)
    if getattr(spec, "kind", "") != "layer" or shape is None:
        return None
    import torch

    return torch.randn(shape)
