from django.conf import settings
from django.shortcuts import render
from django.views.static import serve

MAX_COUNT = 1000


def _int_param(request, name, default, low, high):
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        value = default
    return min(max(value, low), high)


def products(request):
    # The title comes from the query string: every request has its own props, so a reply
    # delivered to the wrong request would show on the page.
    title = request.GET.get("title", "Catalogue")
    props = {
        "title": title,
        "seed": _int_param(request, "seed", 1, 0, 2**31 - 1),
        "count": _int_param(request, "count", 24, 0, MAX_COUNT),
    }
    return render(request, "shop/product.html", {"title": title, "props": props})


def tiny(request):
    name = request.GET.get("name", "world")
    return render(request, "shop/tiny.html", {"title": f"Hello, {name}", "props": {"name": name}})


def client_bundle(request):
    return serve(request, "client.js", document_root=settings.REACT_DIST)
