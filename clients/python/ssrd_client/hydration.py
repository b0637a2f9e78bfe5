"""The hydration <script> built in Python, for the fallback path, and ``render_or_shell``.

The daemon normally writes the hydration element; when it cannot be reached the page still has
to work, so ``render_or_shell`` serves an empty ``<div id="root"></div>`` plus the same element
built here, and the client bundle renders the page in the browser. The output must be byte for
byte what the daemon writes (tests/vectors/hydration.json checks both), so the JSON follows
JSON.stringify: no spaces, keys in insertion order, JavaScript number formatting, and only
``"``, ``\\`` and control characters escaped in strings; then ``<``, ``>``, ``&``, U+2028 and
U+2029 become ``\\u003c``, ``\\u003e``, ``\\u0026``, ``\\u2028``, ``\\u2029`` so that no value can
close the element or open a comment.
"""
import decimal
import json
import logging
import math

from .errors import SsrdError

DEFAULT_HYDRATE_ID = "ssrd-data"
SHELL = '<div id="root"></div>'

_log = logging.getLogger("ssrd_client")

_SCRIPT_ESCAPES = str.maketrans({
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
})


def _js_number(value):
    """Formats a float as JavaScript's Number.prototype.toString (what JSON.stringify emits)."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # JSON.stringify's rule
    if value == 0:
        return "0"  # -0 too
    # repr gives the shortest round-tripping digits, as JavaScript does; they differ only in
    # where they switch to exponent notation and how they write it (ECMA-262 Number::toString).
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    n = len(digits) + exponent  # the decimal point sits after n digits
    stripped = digits.rstrip("0")
    digits, k = stripped, len(stripped)
    sign = "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    exp_text = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return sign + digits + "e" + exp_text
    return sign + digits[0] + "." + digits[1:] + "e" + exp_text


_MAX_ARRAY_INDEX = 2**32 - 2


def _array_index(key):
    """The integer value of a key JavaScript treats as an array index, else None."""
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0"):
        number = int(key)
        if number <= _MAX_ARRAY_INDEX:
            return number
    return None


def _js_property_order(mapping):
    """A JavaScript object lists array-index keys first, ascending, then the other keys in
    insertion order; JSON.stringify follows that order."""
    items = [(k if isinstance(k, str) else str(k), v) for k, v in mapping.items()]
    indexed = [(i, k, v) for (k, v) in items for i in [_array_index(k)] if i is not None]
    if not indexed:
        return items
    indexed.sort(key=lambda entry: entry[0])
    return [(k, v) for _, k, v in indexed] + [(k, v) for k, v in items
                                              if _array_index(k) is None]


def _dump(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_js_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in _js_property_order(value):
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _dump(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _dump(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} into hydration data")


def hydration_json(component, props):
    """The element's text: {"component":…,"props":…}, escaped for a <script> element."""
    out = []
    _dump({"component": component, "props": {} if props is None else props}, out)
    return "".join(out).translate(_SCRIPT_ESCAPES)


def _attr(value):
    return (value.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def hydration_script(component, props, hydrate_id=None, nonce=None, hydrate_global=None):
    """The whole hydration element, as the daemon writes it: by default
    ``<script type="application/json" id="ssrd-data">JSON</script>``; with ``hydrate_global``
    an executable ``<script>window["NAME"]=JSON;</script>`` instead."""
    nonce_attr = f' nonce="{_attr(nonce)}"' if nonce else ""
    data = hydration_json(component, props)
    if hydrate_global:
        name = json.dumps(hydrate_global, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
        return f"<script{nonce_attr}>window[{name}]={data};</script>"
    return (f'<script type="application/json" id="{_attr(hydrate_id or DEFAULT_HYDRATE_ID)}"'
            f"{nonce_attr}>{data}</script>")


def render_or_shell(client, component, props=None, *, hydrate_id=None, hydrate_global=None,
                    nonce=None, url=None, timeout=None, logger=None):
    """Renders on the server, or falls back to rendering in the browser.

    Returns the markup for the page body: ``<div id="root">HTML</div>`` followed by the
    hydration script. On any SsrdError it logs at ERROR level (every time: a silent fallback
    hides an outage) and returns ``<div id="root"></div>`` plus a hydration script built here,
    so the client bundle renders the page itself. Only the daemon's output and this module's
    escaped script go into the markup.
    """
    try:
        result = client.render(component, props, hydrate=True, hydrate_id=hydrate_id,
                               hydrate_global=hydrate_global, nonce=nonce, url=url,
                               timeout=timeout)
    except SsrdError as exc:
        (logger or _log).error(
            "ssrd render of %r failed with code %s (%s); serving the empty shell for "
            "client-side rendering", component, exc.code, exc.message)
        return SHELL + hydration_script(component, props, hydrate_id, nonce, hydrate_global)
    return f'<div id="root">{result.html}</div>{result.script}'
