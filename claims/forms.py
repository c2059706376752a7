"""The public claim list's filter form."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from sources.models import Reliability, Source
from verifier.models import MAX_ID

from .models import Claim, Event, Place, PlaceTree, Status

if TYPE_CHECKING:
    from .querysets import ClaimQuerySet

MAX_QUERY_LENGTH = 200
# What narrows the list (and its feed); ``before`` and ``after`` page it.
FILTERS = ("q", "status", "event", "source", "grade", "place")


def clean_text(value: str) -> str:
    # PostgreSQL refuses NUL in text; nobody searches for one.
    return value.replace("\x00", "").strip()


class PlainSelect(forms.Select):
    """A ``<select>`` written in one pass. Django renders every ``<option>``
    through a template of its own, which for the index's hundreds of events,
    sources and places took most of the page's time."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        chosen = set(self.format_value(value))
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final), options)


class ClaimFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Status.choices],
        widget=PlainSelect,
    )
    event = forms.ChoiceField(required=False, widget=PlainSelect)
    source = forms.ChoiceField(required=False, widget=PlainSelect)
    grade = forms.ChoiceField(
        label="Source grade",
        required=False,
        choices=[("", "Any grade"), *Reliability.choices],
        widget=PlainSelect,
    )
    place = forms.ChoiceField(required=False, widget=PlainSelect)
    before = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any,
        *,
        events: Iterable[Event],
        sources: Iterable[Source],
        tree: PlaceTree,
    ) -> None:
        super().__init__(data)
        self.tree = tree
        self.fields["event"].choices = [
            ("", "Any event"),
            *((event.slug, event.title) for event in events),
        ]
        self.fields["source"].choices = [
            ("", "Any source"),
            *((source.slug, source.label) for source in sources),
        ]
        self.fields["place"].choices = [
            ("", "Anywhere"),
            *(
                (place.slug, " › ".join([*map(str, tree.ancestors(place)), place.name]))
                for place in sorted(
                    tree.places,
                    key=lambda p: [a.name for a in tree.ancestors(p)] + [p.name],
                )
            ),
        ]

    def clean_cursor(self, name: str) -> tuple[datetime.datetime, int] | None:
        raw = self.cleaned_data.get(name) or ""
        if not raw:
            return None
        match = re.fullmatch(r"([0-9]{1,17})-([0-9]{1,19})", raw)
        if not match or int(match[2]) > MAX_ID:
            raise forms.ValidationError("This page link is damaged.")
        try:
            moment = datetime.datetime.fromtimestamp(
                0, datetime.UTC
            ) + datetime.timedelta(microseconds=int(match[1]))
        except OverflowError:
            raise forms.ValidationError("This page link is damaged.") from None
        return moment, int(match[2])

    def clean_before(self) -> tuple[datetime.datetime, int] | None:
        return self.clean_cursor("before")

    def clean_after(self) -> tuple[datetime.datetime, int] | None:
        return self.clean_cursor("after")

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> ClaimFilterForm:
        """The form bound to a request's query, offering every public event,
        source and place (three queries)."""
        data = dict(query.items())
        data["q"] = clean_text(data.get("q", ""))
        return cls(
            data,
            events=Event.objects.public(),
            sources=Source.objects.public(),
            tree=PlaceTree.load(),
        )

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in FILTERS)

    def filter(self, claims: ClaimQuerySet) -> ClaimQuerySet:
        """``claims`` narrowed to those the (valid) form asks for."""
        filters = self.cleaned_data
        if filters["q"]:
            claims = claims.search(filters["q"], published_only=True)
        if filters["status"]:
            claims = claims.filter(status=filters["status"])
        if filters["event"]:
            claims = claims.filter(event__slug=filters["event"])
        if filters["source"]:
            claims = claims.stated_by(slug=filters["source"])
        if filters["grade"]:
            claims = claims.stated_by(reliability=filters["grade"])
        if filters["place"]:
            place = next(p for p in self.tree.places if p.slug == filters["place"])
            claims = claims.about(Place.objects.subtree_ids(place))
        return claims

    def query(self) -> str:
        """The (valid) form's filters as a query string, without the page:
        the address of this search, on the list and in its feed."""
        return urlencode(
            [
                (name, self.cleaned_data[name])
                for name in FILTERS
                if self.cleaned_data[name]
            ]
        )

    def description(self) -> str:
        """What the (valid) form filters by, in words: ``Confirmed · event
        Belgorod incursion · search “Sudzha”``; empty when it does not."""
        filters = self.cleaned_data

        def label(name: str) -> str:
            return str(dict(self.fields[name].choices)[filters[name]])

        parts = []
        if filters["status"]:
            parts.append(label("status"))
        if filters["event"]:
            parts.append(f"event {label('event')}")
        if filters["source"]:
            parts.append(f"source {label('source')}")
        if filters["grade"]:
            parts.append(f"source grade {label('grade')}")
        if filters["place"]:
            parts.append(f"place {label('place')}")
        if filters["q"]:
            parts.append(f"search “{filters['q']}”")
        return " · ".join(parts)

    def error_message(self) -> str:
        """The (invalid) form's errors in one sentence per field."""
        return " ".join(
            f"{self[name].label}: {' '.join(errors)}"
            if name in self.fields
            else " ".join(errors)
            for name, errors in self.errors.items()
        )


def cursor(claim: Claim) -> str:
    epoch = datetime.datetime.fromtimestamp(0, datetime.UTC)
    return (
        f"{(claim.updated_at - epoch) // datetime.timedelta(microseconds=1)}-{claim.pk}"
    )


def parse_as_of(raw: str, *, future: bool = False) -> datetime.date:
    """The day of an ``as_of``, the claim page's and the API's: ``YYYY-MM-DD``,
    not in the future unless ``future``; a ``ValueError`` says what is wrong."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ValueError(
            "“as_of” must be a date written YYYY-MM-DD, such as 2025-04-01."
        )
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"There is no such day as {raw}.") from None
    if not future and day > timezone.now().date():
        raise ValueError("“as_of” cannot be a date in the future.")
    return day


def parse_as_of_moment(raw: str) -> datetime.datetime:
    """The API's ``as_of``: a day (``parse_as_of``, its last moment: the status
    as it stood that evening) or a moment (ISO 8601, UTC if it names no
    offset); a ``ValueError`` if it is neither."""
    if "\x00" in raw or len(raw) > 40:
        raise ValueError("Not a day or a moment.")
    try:
        # The status now is the status of any later moment.
        day = parse_as_of(raw, future=True) if len(raw) == 10 else None
        if day is not None:
            moment = datetime.datetime.combine(
                day, datetime.time.max, tzinfo=datetime.UTC
            )
        else:
            moment = parse_datetime(raw)
            if moment is None:
                raise ValueError("Not a day or a moment.")
    except OverflowError:
        raise ValueError("Not a day or a moment.") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment
