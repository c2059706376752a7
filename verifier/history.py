"""A row's audit history in words: what each version changed, and who did it.

Read from simple-history's records, worded from the model itself: a field's
verbose name, its choices' labels, the ``str`` of the rows it points to. A
field added later reads well without code; a field whose changes have words
of their own (a claim's visibility: "Published") says so in ``fields``.

The words are read for a page of records in a fixed number of queries: the
rows that foreign keys and many-to-many relations name are loaded at once.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.text import Truncator, capfirst
from simple_history.utils import get_m2m_reverse_field_name

# The words of a change with words of its own, given the old and new values;
# None falls back to the generic wording.
Wording = Callable[[Any, Any], str | None]

# Records one person wrote this close together are one save: a many-to-many
# relation is written, and recorded, just after the row it belongs to.
ONE_SAVE = datetime.timedelta(seconds=1)

ACTIONS = {"+": "added", "~": "changed", "-": "removed"}


def short(value: object, length: int = 60) -> str:
    return Truncator(str(value)).chars(length)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass
class Row:
    """One version as the history shows it: the record, and what it changed."""

    record: Any
    words: list[str] = field(default_factory=list)
    # Only many-to-many relations changed: half of a save, joined to the other.
    relations_only: bool = False


class HistoryWords:
    """The words of ``model``'s history records.

    ``parts`` are rows kept with their own history that belong to this one,
    by the foreign key named (a claim's statements): their changes read in the
    version of this row their save made.
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        fields: Mapping[str, Wording] | None = None,
        parts: Sequence[tuple[type[models.Model], str]] = (),
    ) -> None:
        self.model = model
        self.special = dict(fields or {})
        self.parts = list(parts)

    # --- which fields

    def tracked(self) -> list[models.Field]:
        """Fields whose changes are told. Counters and timestamps every write
        moves (not editable, without choices, not a relation) say nothing."""
        return [
            f
            for f in self.model._meta.concrete_fields
            if not f.primary_key and (f.editable or f.choices or f.is_relation)
        ]

    def relations(self) -> list[models.ManyToManyField]:
        history_model = self.model.history.model  # type: ignore[attr-defined]
        names = {f.name for f in getattr(history_model, "_history_m2m_fields", [])}
        return [f for f in self.model._meta.many_to_many if f.name in names]

    # --- one field's words

    def field_change(
        self,
        name: str,
        old: Any,
        new: Any,
        found: Mapping[type[models.Model], Mapping[Any, Any]] | None = None,
    ) -> str:
        """``name`` went from ``old`` to ``new`` (as stored: ids, not rows)."""
        # A concrete or many-to-many field: ``tracked`` and ``relations`` name no other.
        model_field: Any = self.model._meta.get_field(name)
        if name in self.special:
            words = self.special[name](old, new)
            if words:
                return words
        label = str(capfirst(model_field.verbose_name))
        if model_field.many_to_many:
            return self._relation_change(label, model_field, old, new, found)
        if isinstance(old, list) or isinstance(new, list):
            return self._list_change(label, old or [], new or [])
        quote = not (model_field.choices or model_field.is_relation)
        if model_field.choices:
            labels = dict(model_field.flatchoices)
            old, new = labels.get(old, old), labels.get(new, new)
        elif model_field.is_relation:
            rows = (found or {}).get(model_field.related_model) or self._load(
                model_field.related_model, [old, new]
            )
            old, new = rows.get(old, old), rows.get(new, new)
        elif isinstance(model_field, models.BooleanField):
            old, new = ("yes" if v else "no" for v in (old, new))

        def shown(value: Any) -> str:
            return f"“{short(value)}”" if quote else short(value)

        if _empty(old):
            return f"{label}: {shown(new)}"
        if _empty(new):
            return f"{label}: {shown(old)} removed"
        return f"{label}: {shown(old)} → {shown(new)}"

    def _relation_change(
        self,
        label: str,
        model_field: models.ManyToManyField,
        old: Iterable[Any],
        new: Iterable[Any],
        found: Mapping[type[models.Model], Mapping[Any, Any]] | None,
    ) -> str:
        old, new = set(old), set(new)
        target = model_field.related_model
        rows = (found or {}).get(target) or self._load(target, old | new)
        added = sorted(str(rows.get(pk, pk)) for pk in new - old)
        removed = sorted(str(rows.get(pk, pk)) for pk in old - new)
        said = []
        if added:
            said.append(f"added {', '.join(added)}")
        if removed:
            said.append(f"removed {', '.join(removed)}")
        return f"{label}: {'; '.join(said)}"

    @staticmethod
    def _list_change(label: str, old: list, new: list) -> str:
        added = [str(item) for item in new if item not in old]
        removed = [str(item) for item in old if item not in new]
        said = []
        if added:
            said.append(f"added {', '.join(added)}")
        if removed:
            said.append(f"removed {', '.join(removed)}")
        return f"{label}: {'; '.join(said) or 'reordered'}"

    @staticmethod
    def _load(model: Any, ids: Iterable[Any]) -> dict[Any, Any]:
        wanted = [pk for pk in ids if pk is not None]
        return model._default_manager.in_bulk(wanted) if wanted else {}

    # --- a page of records

    def rows(self, records: Sequence[Any], before: Any = None) -> list[Row]:
        """The rows of ``records`` (oldest first), each told against the one
        before it (``before`` for the first: the version the reader knows, or
        None when the first record is the row's creation).

        A save's halves (the row, then its many-to-many relations) read as one
        row; a row that changed nothing told is left out.
        """
        everything = [*([before] if before is not None else []), *records]
        relations = self.relations()
        targets = self._targets(everything, relations)
        tracked = self.tracked()

        changed: list[list[tuple[str, Any, Any]]] = []
        wanted: dict[Any, set[Any]] = defaultdict(set)
        previous = before
        for record in records:
            diffs = []
            if previous is not None and record.history_type == "~":
                for f in tracked:
                    old = getattr(previous, f.attname)
                    new = getattr(record, f.attname)
                    if old != new:
                        diffs.append((f.name, old, new))
                        if f.is_relation:
                            wanted[f.related_model].update((old, new))
                for f in relations:
                    old = targets[f.name, previous.pk]
                    new = targets[f.name, record.pk]
                    if old != new:
                        diffs.append((f.name, old, new))
                        wanted[f.related_model].update(old | new)
            changed.append(diffs)
            previous = record
        found = {model: self._load(model, ids) for model, ids in wanted.items()}

        rows = []
        relation_names = {f.name for f in relations}
        for record, diffs in zip(records, changed, strict=True):
            if record.history_type == "+":
                words = ["Created"]
            elif record.history_type == "-":
                words = ["Deleted"]
            else:
                words = [self.field_change(*diff, found) for diff in diffs]
            rows.append(
                Row(
                    record,
                    words,
                    relations_only=bool(diffs)
                    and all(name in relation_names for name, _, _ in diffs),
                )
            )
        self._add_parts(rows, before)
        return self._joined(rows, before)

    def _targets(
        self, records: Sequence[Any], relations: Sequence[models.ManyToManyField]
    ) -> defaultdict[tuple[str, Any], set[Any]]:
        """The ids each record's many-to-many relations held, one query each."""
        targets: defaultdict[tuple[str, Any], set[Any]] = defaultdict(set)
        history_model = self.model.history.model  # type: ignore[attr-defined]
        for relation in relations:
            rows = vars(history_model)[relation.name].model.objects
            reverse = get_m2m_reverse_field_name(relation)
            for record_id, target in rows.filter(
                history__in=[record.pk for record in records]
            ).values_list("history_id", f"{reverse}_id"):
                targets[relation.name, record_id].add(target)
        return targets

    def _add_parts(self, rows: list[Row], before: Any) -> None:
        """Each change of a part, told in the row its save made: the first
        version written at or after it."""
        if not rows or not self.parts:
            return
        pk = getattr(rows[0].record, self.model._meta.pk.attname)
        dates = [row.record.history_date for row in rows]
        since = before.history_date if before is not None else None
        for model, fk in self.parts:
            history = model.history  # type: ignore[attr-defined]
            records = history.filter(
                **{f"{fk}_id": pk}, history_date__lte=dates[-1]
            ).select_related(
                *(
                    f.name
                    for f in model._meta.concrete_fields
                    if isinstance(f, models.ForeignKey)
                )
            )
            if since is not None:
                records = records.filter(history_date__gt=since)
            for part in records.order_by("history_date", "history_id"):
                index = bisect.bisect_left(dates, part.history_date)
                if index < len(rows):
                    rows[index].words.append(
                        f"{capfirst(model._meta.verbose_name)} "
                        f"{ACTIONS[part.history_type]}: {self._part(part)}"
                    )

    @staticmethod
    def _part(record: Any) -> str:
        """The part as it was, named by its own ``str`` with the rows it
        points to taken from those loaded with the record."""
        instance = record.instance
        instance._state.fields_cache.update(record._state.fields_cache)
        return short(instance, 100)

    @staticmethod
    def _joined(rows: list[Row], before: Any) -> list[Row]:
        def one_save(first: Any, then: Any) -> bool:
            return (
                first.history_user_id == then.history_user_id
                and then.history_date - first.history_date < ONE_SAVE
            )

        kept: list[Row] = []
        for index, row in enumerate(rows):
            if row.relations_only:
                earlier = kept[-1].record if kept else before
                if (
                    earlier is not None
                    and earlier.history_type == "+"
                    and one_save(earlier, row.record)
                ):
                    # The relations a row was created with.
                    if kept:
                        kept[-1].words.extend(row.words)
                    continue
                later = rows[index + 1] if index + 1 < len(rows) else None
                if later is not None and one_save(row.record, later.record):
                    later.words[:0] = row.words
                    continue
            if row.words:
                kept.append(row)
        return kept


_WORDS: dict[type[models.Model], HistoryWords] = {}


def words_for(model: type[models.Model]) -> HistoryWords:
    """How ``model``'s history is told: as ``register``-ed, or generically."""
    return _WORDS.get(model) or HistoryWords(model)


def register(words: HistoryWords) -> HistoryWords:
    """Tell ``words.model``'s history with ``words`` (its own fields' words,
    its parts), wherever it is shown."""
    _WORDS[words.model] = words
    return words
