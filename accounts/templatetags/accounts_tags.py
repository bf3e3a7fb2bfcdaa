from django import template

register = template.Library()


@register.filter
def won(value) -> str:
    """12,345 (whole won with thousands separators)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""


@register.filter
def unsigned(value) -> int:
    return abs(int(value))


@register.simple_tag
def query_with(params: dict, **extra) -> str:
    """The filter parameters as a query string, with `extra` added."""
    from urllib.parse import urlencode

    return urlencode({**params, **{k: v for k, v in extra.items() if v is not None}})
