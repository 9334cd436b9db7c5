"""Column mappings: an agency's own column names and value labels, mapped to standard fields.

A mapping is a small YAML file. For one record type::

    record_type: persons          # optional: the type of the file's rows
    source: NGO-A                 # optional: default source agency code
    encoding: latin-1             # optional (CSV); delimiter: ";"; sheet: Victims (XLSX)
    date_format: "%d/%m/%Y"       # optional: one format or a list, for every date field
    missing: ["-99", "n/a"]       # optional: cell values that mean "not recorded", or per
                                  # field: {"*": ["-99"], citizenship: ["00"]} (case ignored)
    columns:                      # standard field: the file's column, or a list of aliases
      external_id: [Client ID, ID]
      sex: Gender
    values:                       # standard field: {file label: code}
      sex: {M: Male, F: Female}
    dates:                        # standard field: format(s), overriding date_format
      birth_date: "%d.%m.%Y"
    flags:                        # standard field from yes/no columns: {column: code}
      methods_of_control: {DebtBondage?: DebtBondage, Threatened?: Threats}
    constants:                    # standard field: a value for every row
      role: victim

A mapping for several record types puts these keys under the type's name (``persons:``,
``cases:``…); keys at the top level apply to every type. ``htcds`` and ``ctdc`` are shipped:
pass them by name. Without a mapping, columns are matched to the standard field names
(case, spaces and underscores ignored).
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from uncounted.errors import InvalidInput
from uncounted.ingest.fields import Field
from uncounted.ingest.readers import Cell
from uncounted.ingest.records import RecordType

SHIPPED = ("htcds", "ctdc")
#: A constant that stands for an id made from the row's line (for files without ids).
LINE_ID = "@line"
_TYPE_KEYS = {"columns", "values", "dates", "flags", "constants", "date_format", "missing"}
_FILE_KEYS = {
    "record_type",
    "record_types",
    "source",
    "encoding",
    "delimiter",
    "sheet",
    "name",
    "description",
    "agency",
    "refuse",
    "layouts",
}


def normalise(name: str) -> str:
    """A column name folded for matching: lower case, no spaces, underscores or dashes."""
    return "".join(ch for ch in name.lower() if ch not in " _-.")


@dataclass(frozen=True)
class TypeMapping:
    """How the columns of one record type are read."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    #: cell texts (case-folded) that mean "not recorded" in every field
    missing: frozenset[str] = frozenset()
    #: more such texts for one field only (a code that is a real value elsewhere, e.g. "00")
    missing_by_field: dict[str, frozenset[str]] = field(default_factory=dict)

    def missing_for(self, name: str) -> frozenset[str]:
        """The cell texts (case-folded) that mean "not recorded" in field ``name``."""
        own = self.missing_by_field.get(name)
        return self.missing if own is None else self.missing | own

    def label(self, name: str, cell: str) -> str:
        """The code for label ``cell`` of field ``name`` (the cell itself if not a label)."""
        labels = self.values.get(name)
        if labels is None:
            return cell
        found = labels.get(cell)
        if found is None:
            found = labels.get(cell.casefold())
        return cell if found is None else found

    def formats_for(self, name: str) -> tuple[str, ...]:
        """Date formats for field ``name`` (its own, else the mapping's default)."""
        return self.date_formats.get(name, self.date_formats.get("*", ()))


@dataclass(frozen=True)
class ColumnMapping:
    """A mapping file: reading options plus a :class:`TypeMapping` per record type."""

    name: str = "standard"
    record_type: str | None = None
    source: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    types: dict[str, TypeMapping] = field(default_factory=dict)
    record_types: tuple[str, ...] = ()  # several types read from each row (loaded in LOAD_ORDER)
    #: the organisation a shipped layout's files come from (code, name, org_type[, country]),
    #: created on first import when no --source is given (e.g. the data hub CTDC)
    agency: dict[str, str] | None = None
    #: layouts the mapping must not read: (columns that all mark it, why and what to do)
    refuse: tuple[tuple[frozenset[str], str], ...] = ()
    #: the published layouts the mapping reads: (name, columns that all mark it), first match
    layouts: tuple[tuple[str, frozenset[str]], ...] = ()

    def layout(self, header: list[str]) -> str | None:
        """The name of the layout a file with ``header`` is in (``None``: not one of them)."""
        present = {normalise(h) for h in header}
        for name, columns in self.layouts:
            if {normalise(c) for c in columns} <= present:
                return name
        return None

    def refusal(self, header: list[str]) -> str | None:
        """Why a file with ``header`` must not be read with this mapping (or ``None``)."""
        present = {normalise(h) for h in header}
        for columns, reason in self.refuse:
            if {normalise(c) for c in columns} <= present:
                return reason
        return None

    def for_type(self, record_type: str) -> TypeMapping:
        """The mapping of ``record_type`` (the shared top-level part if it has none)."""
        return self.types.get(record_type, self.types.get("*", TypeMapping()))


@dataclass(frozen=True)
class ColumnPlan:
    """Which file column feeds which standard field, decided once from the header."""

    record_type: RecordType
    mapping: TypeMapping
    sources: dict[str, str]  # standard field -> file column
    flag_columns: dict[str, dict[str, str]]  # standard field -> {file column: code}
    ignored: tuple[str, ...]  # file columns that feed nothing
    missing_required: tuple[str, ...]  # required fields that say which record a row is
    item_columns: dict[str, str]  # assessment item -> file column

    @cached_property
    def conversions(self) -> tuple[tuple[Field, tuple[str, ...]], ...]:
        """Each field with its date formats (computed once per plan)."""
        return tuple((f, self.mapping.formats_for(f.name)) for f in self.record_type.fields)

    @cached_property
    def required(self) -> tuple[str, ...]:
        """The required fields."""
        return tuple(f.name for f in self.record_type.fields if f.required)

    @cached_property
    def absent(self) -> frozenset[str]:
        """The fields the file has no column for (nor a flag column or a constant).

        A row that updates a stored record leaves its values of these fields as they are; a
        row that creates one records them as not recorded (a required one is a problem).
        """
        have = {*self.sources, *self.flag_columns, *self.mapping.constants}
        return frozenset(n for n in self.record_type.field_names if n not in have)

    @cached_property
    def has_source(self) -> bool:
        """Whether the record type has a source field."""
        return "source" in self.record_type.field_names

    @cached_property
    def uses_line(self) -> bool:
        """Whether a constant is the ``@line`` id."""
        return LINE_ID in self.mapping.constants.values()

    def standard_cells(self, cells: dict[str, Cell]) -> dict[str, Cell]:
        """The row's cells under standard field names, value labels mapped, flags combined."""
        out: dict[str, Cell] = {}
        mapping = self.mapping
        for name, column in self.sources.items():
            cell = standard_cell(mapping, name, cells.get(column))
            if cell is not None:
                out[name] = cell
        for name, columns in self.flag_columns.items():
            if name in out:
                continue
            chosen: list[str] = []
            recorded = False
            for column, codes in columns.items():
                state = flag_state(cells.get(column), mapping.missing)
                if state is None:
                    continue
                recorded = True
                if state:
                    chosen.extend(c for c in codes.split(";") if c not in chosen)
            kind = self.record_type.field(name).kind
            if chosen:
                out[name] = ";".join(chosen) if kind == "codes" else chosen[0]
            elif recorded and kind == "codes":
                out[name] = ""  # every flag recorded as no: an empty list, not "not recorded"
        for name, value in mapping.constants.items():
            out.setdefault(name, value)
        return out

    def with_line(self, cells: dict[str, Cell], line: int) -> dict[str, Cell]:
        """Replace the ``@line`` constant (an id made from the row's line number)."""
        for name, value in cells.items():
            if value == LINE_ID:
                cells[name] = f"line-{line}"
        return cells


def standard_cell(mapping: TypeMapping, name: str, cell: Cell) -> Cell:
    """A cell of field ``name`` with its label mapped, or ``None`` when it is not recorded."""
    if cell is None:
        return None
    if isinstance(cell, str):
        cell = cell.strip()
        if cell == "" or cell.casefold() in mapping.missing_for(name):
            return None
        return mapping.label(name, cell)
    if isinstance(cell, bool):
        return cell
    text = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)
    if text.casefold() in mapping.missing_for(name):
        return None
    if name in mapping.values:
        labelled = mapping.label(name, text)
        return labelled if labelled != text else cell
    return cell


_YES = {"1", "1.0", "true", "yes", "y", "x"}
_NO = {"0", "0.0", "false", "no", "n"}


def flag_state(cell: Cell, missing: frozenset[str] = frozenset()) -> bool | None:
    """A yes/no column's cell: ``True``, ``False``, or ``None`` when it is not recorded.

    Empty cells and the mapping's missing values (CTDC's ``-99``) are "not recorded", never
    "no": a flag that was not recorded stays unknown.
    """
    if cell is None:
        return None
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float):
        return True if cell == 1 else False if cell == 0 else None
    if not isinstance(cell, str):
        return None
    text = cell.strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def plan_columns(record_type: RecordType, mapping: TypeMapping, header: list[str]) -> ColumnPlan:
    """Match the file's header to the record type's fields through the mapping."""
    exact = set(header)
    folded: dict[str, str] = {}
    for column in header:
        folded.setdefault(normalise(column), column)
    sources: dict[str, str] = {}
    for f in record_type.fields:
        candidates = (*mapping.columns.get(f.name, ()), f.name)
        for candidate in candidates:
            if candidate in exact:
                sources[f.name] = candidate
                break
            if normalise(candidate) in folded:
                sources[f.name] = folded[normalise(candidate)]
                break
    flag_columns: dict[str, dict[str, str]] = {}
    for name, columns in mapping.flags.items():
        present = {}
        for column, code in columns.items():
            if column in exact:
                present[column] = code
            elif normalise(column) in folded:
                present[folded[normalise(column)]] = code
        if present:
            flag_columns[name] = present
    from uncounted.ingest.records import ITEM_PREFIX

    items: dict[str, str] = {}
    if record_type.name == "assessments":
        items = {c[len(ITEM_PREFIX) :]: c for c in header if c.startswith(ITEM_PREFIX)}
    used = set(sources.values()) | {c for cols in flag_columns.values() for c in cols}
    used |= set(items.values())
    ignored = tuple(c for c in header if c not in used)
    have = set(sources) | set(flag_columns) | set(mapping.constants)
    # a file without a column that identifies the records cannot be read; one without another
    # required column can update stored records (only a row that creates a record needs it)
    missing = tuple(
        f.name
        for f in record_type.fields
        if f.required and f.name in record_type.key and f.name not in have
    )
    return ColumnPlan(record_type, mapping, sources, flag_columns, ignored, missing, items)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    raise InvalidInput(f"{where} must be a text or a list of texts.")


def _type_mapping(raw: AbcMapping[str, Any], where: str) -> TypeMapping:
    unknown = set(raw) - _TYPE_KEYS - _FILE_KEYS - {"types"}
    if unknown:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")

    def table(key: str) -> dict[str, Any]:
        value = raw.get(key) or {}
        if not isinstance(value, dict):
            raise InvalidInput(f"{where}: {key} must be a mapping of field -> ...")
        return value

    columns = {str(k): _strings(v, f"{where}: columns.{k}") for k, v in table("columns").items()}
    values: dict[str, dict[str, str]] = {}
    for k, v in table("values").items():
        if not isinstance(v, dict):
            raise InvalidInput(f"{where}: values.{k} must map file labels to codes.")
        labels = {_label(a): str(b) for a, b in v.items()}
        for a, b in list(labels.items()):
            labels.setdefault(a.casefold(), b)  # labels are matched ignoring case too
        values[str(k)] = labels
    dates = {str(k): _strings(v, f"{where}: dates.{k}") for k, v in table("dates").items()}
    if raw.get("date_format") is not None:
        dates["*"] = _strings(raw["date_format"], f"{where}: date_format")
    flags: dict[str, dict[str, str]] = {}
    for k, v in table("flags").items():
        if not isinstance(v, dict):
            raise InvalidInput(f"{where}: flags.{k} must map file columns to codes.")
        flags[str(k)] = {str(a): str(b) for a, b in v.items()}
    constants = {str(k): str(v) for k, v in table("constants").items()}
    missing, by_field = _missing(raw.get("missing"), where)
    return TypeMapping(columns, values, dates, flags, constants, missing, by_field)


def _missing(raw: Any, where: str) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The "not recorded" texts: a list for every field, or per field (``"*"``: every field)."""
    if isinstance(raw, dict):
        per = {
            str(k): frozenset(t.casefold() for t in _strings(v, f"{where}: missing.{k}"))
            for k, v in raw.items()
        }
        return per.pop("*", frozenset()), per
    every = frozenset(t.casefold() for t in _strings(raw or [], f"{where}: missing"))
    return every, {}


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merge(base: TypeMapping, own: TypeMapping) -> TypeMapping:
    return TypeMapping(
        {**base.columns, **own.columns},
        {**base.values, **own.values},
        {**base.date_formats, **own.date_formats},
        {**base.flags, **own.flags},
        {**base.constants, **own.constants},
        base.missing | own.missing,
        {
            k: base.missing_by_field.get(k, frozenset()) | own.missing_by_field.get(k, frozenset())
            for k in base.missing_by_field.keys() | own.missing_by_field.keys()
        },
    )


def parse_mapping(raw: Any, name: str = "mapping") -> ColumnMapping:
    """A :class:`ColumnMapping` from the parsed YAML of a mapping file."""
    from uncounted.ingest.records import RECORD_TYPES

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"The mapping {name} must be a YAML mapping (key: value lines).")
    per_type = {k: v for k, v in raw.items() if k in RECORD_TYPES}
    shared = _type_mapping({k: v for k, v in raw.items() if k not in RECORD_TYPES}, name)
    types = {"*": shared}
    for type_name, body in per_type.items():
        if not isinstance(body, dict):
            raise InvalidInput(f"{name}: {type_name} must be a mapping.")
        types[type_name] = _merge(shared, _type_mapping(body, f"{name}: {type_name}"))
    record = raw.get("record_type")
    several = tuple(_strings(raw.get("record_types") or [], f"{name}: record_types"))
    for one in (record, *several):
        if one is not None and one not in RECORD_TYPES:
            raise InvalidInput(
                f"{name}: record type {one!r} is not one of {', '.join(RECORD_TYPES)}."
            )

    def opt(key: str) -> str | None:
        value = raw.get(key)
        return None if value is None else str(value)

    agency = raw.get("agency")
    if agency is not None and (
        not isinstance(agency, dict) or not {"code", "name", "org_type"} <= set(agency)
    ):
        raise InvalidInput(f"{name}: agency must give code, name and org_type.")
    refuse = []
    for item in raw.get("refuse") or []:
        if not isinstance(item, dict) or not {"columns", "reason"} <= set(item):
            raise InvalidInput(f"{name}: each refuse entry needs columns and reason.")
        columns = frozenset(_strings(item["columns"], f"{name}: refuse.columns"))
        refuse.append((columns, str(item["reason"])))
    layouts = []
    for item in raw.get("layouts") or []:
        if not isinstance(item, dict) or not {"name", "columns"} <= set(item):
            raise InvalidInput(f"{name}: each layouts entry needs name and columns.")
        columns = frozenset(_strings(item["columns"], f"{name}: layouts.columns"))
        layouts.append((str(item["name"]), columns))
    return ColumnMapping(
        str(raw.get("name") or name),
        record,
        opt("source"),
        opt("encoding"),
        opt("delimiter"),
        opt("sheet"),
        types,
        several,
        None if agency is None else {str(k): str(v) for k, v in agency.items()},
        tuple(refuse),
        tuple(layouts),
    )


def load_mapping(mapping: str | Path | None) -> ColumnMapping:
    """A mapping by shipped name (``"htcds"``, ``"ctdc"``) or from a YAML file path."""
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, str) and mapping in SHIPPED:
        text = resources.files("uncounted.ingest").joinpath(f"mappings/{mapping}.yaml")
        return parse_mapping(yaml.safe_load(text.read_text("utf-8")), mapping)
    path = Path(mapping)
    if not path.is_file():
        raise InvalidInput(
            f"No mapping file {str(path)!r}; give a YAML file or one of {', '.join(SHIPPED)}."
        )
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"The mapping {path.name} is not valid YAML: {exc}") from None
    return parse_mapping(raw, path.name)


__all__ = [
    "LINE_ID",
    "SHIPPED",
    "ColumnMapping",
    "ColumnPlan",
    "TypeMapping",
    "flag_state",
    "load_mapping",
    "normalise",
    "parse_mapping",
    "plan_columns",
    "standard_cell",
]
