from rest_framework import serializers

from sources.models import Document, Source
from verifier.fields import OptionalURLField, SlugOrIdRelatedField, UniqueListField
from verifier.rest import CleanModelSerializer, SlugFromMixin, permitted_change


class SourceBriefSerializer(serializers.ModelSerializer):
    """A source as other resources show it: enough to print "ISW (B)"."""

    class Meta:
        model = Source
        fields = ["id", "slug", "name", "label", "reliability", "affiliation", "kind"]
        read_only_fields = fields


class SourceSerializer(SlugFromMixin, CleanModelSerializer):
    slug = serializers.SlugField(
        max_length=200, required=False, help_text="Made from the name when omitted."
    )
    aliases = UniqueListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="Other spellings, in any language and script.",
    )
    homepage = OptionalURLField(max_length=500)

    class Meta:
        model = Source
        fields = [
            "id",
            "slug",
            "name",
            "label",
            "kind",
            "affiliation",
            "aliases",
            "description",
            "homepage",
            "reliability",
            "is_reference",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "label", "created_at", "updated_at"]

    def validate_is_reference(self, value: bool) -> bool:
        return permitted_change(
            self, "is_reference", value, "sources.set_reference_source"
        )


class DocumentBriefSerializer(serializers.ModelSerializer):
    publisher = SourceBriefSerializer(read_only=True, allow_null=True)
    url = OptionalURLField(read_only=True)
    archive_url = OptionalURLField(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "published_at",
            "language",
            "archive_url",
        ]
        read_only_fields = fields


class DocumentSerializer(CleanModelSerializer):
    publisher = SlugOrIdRelatedField(
        queryset=Source.objects.all(),
        output=SourceBriefSerializer,
        allow_null=True,
        required=False,
        help_text="The source that published it, by id or slug.",
    )
    url = OptionalURLField(help_text="Where it was published.")
    archive_url = OptionalURLField(help_text="A copy in a web archive.")
    content_sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        allow_blank=True,
        required=False,
        error_messages={"invalid": "Give the SHA-256 as 64 hexadecimal digits."},
        help_text="Hex digest of the content as it was seen; stored lower-case.",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "published_at",
            "language",
            "archive_url",
            "content_sha256",
            "excerpt",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
