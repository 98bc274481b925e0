"""The form: labelled fields grouped in panes that post FieldEdited with the raw text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from rich.text import Text
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.messages import FieldEdited
from llmcalc_tui.state import FIELD_SPECS, AppState, complete_id
from llmcalc_tui.widgets.form_input import FormInput
from llmcalc_tui.widgets.number_field import NumberField
from llmcalc_tui.widgets.pick_field import PickField
from llmcalc_tui.widgets.text_block import TextBlock, text_style

NUMBER_STEPS: dict[str, tuple[float, float, bool]] = {
    "input_tokens": (256, 1, True),
    "output_tokens": (64, 1, True),
    "batch": (1, 1, True),
    "gpus": (1, 1, True),
    "tp": (1, 1, True),
    "pp": (1, 1, True),
    "electricity_usd_per_kwh": (0.01, 0, False),
    "utilisation": (0.05, 0.05, False),
    "lifetime_years": (0.5, 0.5, False),
    "cloud_usd_per_hour": (0.1, 0, False),
    "requests_per_minute": (1, 0, False),
    "cached_input_fraction": (0.1, 0, False),
    "ram_gib": (8, 0, False),
    "draft_tokens": (1, 1, True),
    "acceptance": (0.05, 0, False),
    "cached_prefix_tokens": (256, 0, True),
    "gpu_layers": (1, 0, True),
}
"""Numeric field -> (step, minimum, whole numbers)."""
PLACEHOLDERS = {
    "tp": "auto (GPUs / PP)",
    "cloud_usd_per_hour": "catalog price",
    "api_model": "default",
    "batch": "number or max",
    "gpu_layers": "all (N or auto)",
    "ram_gib": "usual host",
    "draft_model": "none",
    "draft_tokens": "4 or sourced",
    "acceptance": "sourced",
    "cached_prefix_tokens": "none",
    "reasoning": "none",
}


def select_options(field: str, catalog: Catalog) -> list[tuple[str, str]]:
    """(label, value) options of a Select field."""
    if field == "weights":
        return [("native", "")] + [
            (f"{f.id} ({f.bits_per_weight:.3g} bit)", f.id) for f in catalog.formats.values() if f.weights
        ]
    if field == "kv_cache":
        return [(f"{f.id} ({f.bits_per_weight:.3g} bit)", f.id) for f in catalog.formats.values() if f.kv_cache]
    if field == "engine":
        return [("auto", "auto")] + [(e.name, e.id) for e in catalog.engines.values()]
    if field == "deployment":
        return [("auto", "auto"), ("local (buy)", "local"), ("cloud (rent)", "cloud"), ("api", "api")]
    raise KeyError(field)


def literal_options(options: list[tuple[str, str]]) -> list[tuple[Text, str]]:
    """Select options whose labels show as typed: engine names and unknown ids come from user files."""
    return [(Text(label), value) for label, value in options]


SELECT_FIELDS = {"weights", "kv_cache", "engine", "deployment"}
PICK_FIELDS = {"model", "hardware", "api_model", "draft_model"}
TEXT_FIELDS = {"reasoning"}
"""Plain text fields: an id or a word (no list, no number stepping)."""


class FieldRow(Horizontal):
    """One labelled field; an invalid one is marked (✗, colour) and its reason shows in the pane's hint line."""

    DEFAULT_CSS = """
    FieldRow { height: 1; }
    FieldRow > .field-label { width: 12; color: $text-muted; }
    FieldRow > Input { height: 1; width: 1fr; }
    FieldRow.-invalid > .field-label { color: $text-error; text-style: bold; }
    FieldRow.-inactive > .field-label { color: $text-disabled; text-style: italic; }
    """

    def __init__(self, field: str, control: Widget) -> None:
        super().__init__(id=f"row-{field}")
        self.field = field
        """Form field of this row."""
        self.control = control
        """The Input or Select that edits it."""
        self.label = TextBlock(FIELD_SPECS[field].label, wrap=False, classes="field-label")
        """The field's name (prefixed with ✗ while invalid)."""

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.control

    def show_error(self, message: str | None) -> None:
        """Mark the row invalid (the reason goes in the tooltip and the pane's hint line), or clear the mark."""
        invalid = message is not None
        self.set_class(invalid, "-invalid")
        self.control.set_class(invalid, "-invalid")
        label = FIELD_SPECS[self.field].label
        self.label.show(f"✗ {label}" if invalid else label)
        self.control.tooltip = Content(f"✗ {message}") if invalid else FIELD_SPECS[self.field].help  # literal: holds typed text


class FormPane(Vertical):
    """A titled group of fields with a hint line; edits leave as FieldEdited(field, raw)."""

    FIELDS: ClassVar[tuple[str, ...]] = ()
    """Fields of this pane, in order."""
    TITLE: ClassVar[str] = ""
    """Heading shown above the fields."""
    HINT: ClassVar[str] = ""
    """Hint line shown when no field of the pane is focused or invalid."""
    HELP = "Edit a field and every result updates as you type. Tab moves to the next field."
    COMPONENT_CLASSES = {"form-pane--hint", "form-pane--error"}
    DEFAULT_CSS = """
    FormPane > .form-pane--hint { color: $text-muted; }
    FormPane > .form-pane--error { color: $text-error; text-style: bold; }
    FormPane > .pane-hint { height: 1; }
    """

    state: reactive[AppState | None] = reactive(None, init=False, repaint=False)
    """The screen's state (bound)."""

    def __init__(self, catalog: Catalog, raw: Mapping[str, str], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="form-pane")
        self.catalog = catalog
        """Catalog the selects and pickers offer."""
        self._initial_raw = dict(raw)
        self._rows: dict[str, FieldRow] = {}
        self._shown_errors: dict[str, str | None] = {}
        self._focused_field: str | None = None
        self.hint = TextBlock("", wrap=False, classes="pane-hint")
        """One line: the first invalid field's reason, else the focused field's help, else the pane's hint."""
        self.title_label = Label(self.TITLE, classes="pane-title")
        """The heading; marked -active while focus is inside the pane."""

    def compose(self) -> ComposeResult:
        yield self.title_label
        for field in self.FIELDS:
            row = FieldRow(field, self._make_control(field, self._initial_raw.get(field, "")))
            self._rows[field] = row
            yield row
        yield self.hint

    def on_mount(self) -> None:
        self._update_hint()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._update_hint())

    def on_descendant_focus(self, event) -> None:
        self._sync_focus()

    def on_descendant_blur(self, event) -> None:
        self._sync_focus()

    def _sync_focus(self) -> None:
        # Read the screen's focus rather than trusting the order of Focus/Blur messages: when keys
        # arrive in a burst the blur of one field can reach the pane after the focus of the next.
        focused = self.screen.focused
        inside = self.has_focus_within
        field = _field_of(focused) if inside and focused is not None else None
        if inside and field is None:
            field = self._focused_field  # a Select's own overlay: still that field
        if field != self._focused_field:
            self._focused_field = field
            self._update_hint()
        # A class on the one title rather than a :focus-within rule: Textual re-styles every node
        # under a :focus-within ancestor on each focus change, and only when the rule targets that ancestor.
        self.title_label.set_class(inside, "-active")

    def _update_hint(self) -> None:
        errors = [(f, m) for f in self.FIELDS if (m := self._shown_errors.get(f))]
        if errors:
            field, message = errors[0]
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            text = Text(f"✗ {FIELD_SPECS[field].label}: {message}{more}",
                        style=text_style(self, "form-pane--error"))
        else:
            words = FIELD_SPECS[self._focused_field].help if self._focused_field else self.HINT
            text = Text(words, style=text_style(self, "form-pane--hint"))
        self.hint.show(text)

    def _make_control(self, field: str, value: str) -> Widget:
        spec = FIELD_SPECS[field]
        control_id = f"field-{field}"
        if field in SELECT_FIELDS:
            options = select_options(field, self.catalog)
            select: Select[str] = Select(
                literal_options(options), value=_select_value(field, value, options), allow_blank=False, compact=True, id=control_id
            )
            select.tooltip = spec.help
            return select
        if field in PICK_FIELDS:
            return PickField(
                value, partial(complete_id, field, catalog=self.catalog), field=field, id=control_id,
                placeholder=PLACEHOLDERS.get(field, ""), tooltip=spec.help,
            )
        if field in TEXT_FIELDS:
            text_input = FormInput(value, placeholder=PLACEHOLDERS.get(field, ""), compact=True, id=control_id)
            text_input.tooltip = spec.help
            return text_input
        step, minimum, integer = NUMBER_STEPS[field]
        return NumberField(
            value, step=step, minimum=minimum, integer=integer, id=control_id,
            placeholder=PLACEHOLDERS.get(field, ""), tooltip=spec.help,
        )

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        field = _field_of(event.input)
        # A Changed that the field has already moved past (e.g. its first echo after a scenario loaded) is stale.
        if field and event.value == event.input.value:
            self.post_message(FieldEdited(field, event.value))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        field = _field_of(event.select)
        if field and isinstance(event.value, str) and event.value == event.select.value:
            self.post_message(FieldEdited(field, event.value))

    def watch_state(self, state: AppState | None) -> None:
        if state is None:
            return
        changed = False
        for field, row in self._rows.items():
            message = state.errors.get(field)
            if self._shown_errors.get(field) != message:
                self._shown_errors[field] = message
                row.show_error(message)
                changed = True
        if changed:
            self._update_hint()

    def write_values(self, raw: Mapping[str, str]) -> None:
        """Show new texts in the fields without posting them back (the caller already applied them)."""
        for field, row in self._rows.items():
            if field not in raw:
                continue
            value = raw[field]
            control = row.control
            if isinstance(control, Select):
                options = select_options(field, self.catalog)
                wanted = _select_value(field, value, options)
                if wanted not in {v for _, v in options}:
                    control.set_options(literal_options([*options, (f"{wanted} (unknown)", wanted)]))
                if control.value != wanted:
                    control.value = wanted
            elif isinstance(control, Input) and control.value != value:
                control.value = value
                control.cursor_position = len(value)

    def focus_first(self) -> None:
        """Focus this pane's first field."""
        if self.FIELDS:
            self._rows[self.FIELDS[0]].control.focus()

    def set_inactive(self, fields: Iterable[str]) -> None:
        """Dim the labels of fields that do not affect the current results."""
        inactive = set(fields)
        for field, row in self._rows.items():
            row.set_class(field in inactive, "-inactive")


def _field_of(widget: Widget) -> str | None:
    widget_id = widget.id or ""
    return widget_id.removeprefix("field-") if widget_id.startswith("field-") else None


def _select_value(field: str, raw: str, options: list[tuple[str, str]]) -> str:
    value = raw.strip().lower()
    if field in ("deployment", "engine") and value == "":
        return "auto"
    if field == "weights" and value in ("native", "default"):
        return ""
    return value


class ModelPane(FormPane):
    """Which model, stored how."""

    FIELDS = ("model", "weights", "kv_cache")
    TITLE = "Model"
    HINT = "↓ list of models · → takes completion"
    HELP = (
        "Model: open or API model id. Type to filter; the right arrow accepts the grey completion; "
        "down opens a list of every model. Weights and KV cache pick the storage formats."
    )


class WorkloadPane(FormPane):
    """What each request looks like and how many run together."""

    FIELDS = ("input_tokens", "output_tokens", "batch")
    TITLE = "Workload"
    HINT = "↑↓ step numbers (shift ×10)"
    HELP = "Tokens in and out per request and the batch (concurrent sequences, or 'max'). Up/down step the numbers."


class DeploymentPane(FormPane):
    """Where it runs and how it is split across devices."""

    FIELDS = ("deployment", "hardware", "gpus", "tp", "pp", "engine")
    TITLE = "Deployment"
    HINT = "↓ list of hardware · F4: the grid"
    HELP = (
        "Hardware id (down opens the list; the Grid tab picks one too), device count, tensor and pipeline "
        "parallel degrees and the serving engine. Deploy sets the cost basis."
    )


class CostPane(FormPane):
    """What the hardware costs to run."""

    FIELDS = ("electricity_usd_per_kwh", "utilisation", "lifetime_years", "cloud_usd_per_hour")
    TITLE = "Cost"
    HINT = "local: power, use, years · cloud: $/h"
    HELP = "Local: electricity price, utilisation (0-1 or %) and years to spread the purchase over. Cloud: $/GPU-hour."


class ApiPane(FormPane):
    """The API model the setup is compared with, and the traffic."""

    FIELDS = ("api_model", "requests_per_minute", "cached_input_fraction", "reasoning")
    TITLE = "Compare with API"
    HINT = "F6: the side by side"
    HELP = ("API model for the side-by-side (empty: default), request rate for $/month, share of cached input, "
            "hidden reasoning tokens (low, medium, high or a count).")


class LeversPane(FormPane):
    """Levers people pull when a model does not fit or is too slow (issue 14)."""

    FIELDS = ("gpu_layers", "ram_gib", "draft_model", "draft_tokens", "acceptance", "cached_prefix_tokens")
    TITLE = "Levers"
    HINT = "ctrl+b: quants · ctrl+g: models that fit"
    HELP = (
        "GPU layers: keep the rest in system RAM (auto: as many as fit; llama.cpp and Ollama). RAM GiB: the "
        "host's RAM. Draft, Draft tok and Acceptance: speculative decoding with a small model. Cached tok: "
        "prompt tokens already in the prefix cache. The results say what each lever changed, before -> after."
    )
