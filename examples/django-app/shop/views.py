from django.conf import settings
from django.http import Http404
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


CHECKLIST_ITEMS = [
    {"id": 1, "text": "Milk", "done": True},
    {"id": 2, "text": "Eggs", "done": False},
    {"id": 3, "text": "Bread", "done": False},
]
CLIENT_BUNDLES = ("client.js", "client.dev.js")


def checklist(request, framework):
    """One page per framework, all through {% ssr %}: the component is the app's checklist
    (ReactChecklist, VueChecklist, …). ?missing=1 renders the list that does not exist (the
    component sets 404, which the tag does not pass on); ?dev=1 loads the development client
    bundle, whose hydration checks are on."""
    if framework not in settings.FRAMEWORK_DISTS:
        raise Http404("no such framework")
    title = request.GET.get("title", "Groceries")
    props = {"title": title}
    if request.GET.get("missing") != "1":
        props["items"] = CHECKLIST_ITEMS
    bundle = "client.dev.js" if request.GET.get("dev") == "1" else "client.js"
    return render(request, "shop/checklist.html", {
        "title": title,
        "component": framework.capitalize() + "Checklist",
        "props": props,
        "client_bundle": f"/static/{framework}/{bundle}",
    })


def framework_bundle(request, framework, name):
    if framework not in settings.FRAMEWORK_DISTS or name not in CLIENT_BUNDLES:
        raise Http404("no such bundle")
    return serve(request, name, document_root=settings.FRAMEWORK_DISTS[framework])


def client_bundle(request):
    return serve(request, "client.js", document_root=settings.REACT_DIST)
