"""Unit tests of quick-response templates and their placeholders."""

import pytest

from pipelines.quick_responses import PLACEHOLDERS, TemplateError, fill, unknown_placeholders

VALUES = {
    "client_name": "Anna",
    "partner_name": "Mailwise",
    "project_title": "Shop newsletter",
    "project_budget": "800.00 EUR",
}


def test_the_placeholders_are_the_documented_four():
    assert PLACEHOLDERS == {"client_name", "partner_name", "project_title", "project_budget"}


def test_a_template_with_known_placeholders_only_has_no_problems():
    body = "Dear {client_name}, {partner_name} read about {project_title} ({project_budget})."

    assert unknown_placeholders(body) == []


def test_a_template_without_placeholders_has_no_problems():
    assert unknown_placeholders("Thanks, we will get back to you.") == []


def test_unknown_names_are_listed_once_in_order_of_appearance():
    body = "Hi {your_name}, {client_name}! {price} and again {your_name}."

    assert unknown_placeholders(body) == ["{your_name}", "{price}"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Hi {0}", "{0}"),
        ("Hi {}", "{}"),
        ("Hi {client.name}", "{client.name}"),
        ("Hi {client_name[0]}", "{client_name[0]}"),
        ("Hi {client_name!r}", "{client_name!r}"),
        ("Hi {client_name:>10}", "{client_name:>10}"),
        ("Hi {client_name:{width}}", "{client_name:{width}}"),
        ("Hi {Client_Name}", "{Client_Name}"),
        ("Hi { client_name }", "{ client_name }"),
    ],
)
def test_fields_other_than_bare_known_names_are_reported_as_written(body, problem):
    assert unknown_placeholders(body) == [problem]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Price: {", "{"),
        ("Price: }", "}"),
        ("Hi {client_name", "{"),
        ("Hi client_name}", "}"),
    ],
)
def test_an_unbalanced_brace_is_reported(body, problem):
    assert unknown_placeholders(body) == [problem]


def test_fields_before_an_unbalanced_brace_are_reported_too():
    assert unknown_placeholders("{client_name} {price} {") == ["{price}", "{"]


def test_doubled_braces_are_literal_braces():
    assert unknown_placeholders("Use {{client_name}} literally") == []
    assert fill("Use {{client_name}} for {client_name}", VALUES) == "Use {client_name} for Anna"


def test_fill_replaces_every_placeholder():
    body = "Dear {client_name}, {partner_name} can take on {project_title} for {project_budget}."

    assert fill(body, VALUES) == ("Dear Anna, Mailwise can take on Shop newsletter for 800.00 EUR.")


def test_fill_repeats_a_placeholder_as_often_as_it_appears():
    assert fill("{client_name} / {client_name}", VALUES) == "Anna / Anna"


def test_fill_ignores_values_the_template_does_not_use():
    assert fill("Hello {client_name}", VALUES) == "Hello Anna"


def test_fill_never_expands_braces_inside_values():
    values = {**VALUES, "client_name": "{partner_name} {0}"}

    assert fill("Hi {client_name}", values) == "Hi {partner_name} {0}"


def test_fill_refuses_unknown_placeholders():
    with pytest.raises(TemplateError) as caught:
        fill("Hi {your_name} {0}", VALUES)

    assert caught.value.problems == ("{your_name}", "{0}")
    assert "unknown or malformed placeholders: {your_name}, {0}" in str(caught.value)


def test_fill_refuses_an_unbalanced_brace():
    with pytest.raises(TemplateError) as caught:
        fill("Budget: {project_budget", VALUES)

    assert caught.value.problems == ("{",)


def test_fill_refuses_a_known_placeholder_without_a_value():
    with pytest.raises(TemplateError) as caught:
        fill("{project_title}: {project_budget}", {"client_name": "Anna"})

    assert caught.value.problems == ("project_budget", "project_title")


def test_a_template_error_is_a_value_error():
    assert issubclass(TemplateError, ValueError)
