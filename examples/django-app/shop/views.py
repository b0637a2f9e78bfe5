from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.static import serve

from ssrd_django.streaming import stream_template

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
    component sets 404, which SsrStatusMiddleware makes the response's); ?dev=1 loads the development client
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


def streamed_checklist(request, framework):
    """The checklist page of each framework, streamed (ssrd_django.streaming): the page's head
    and the start of the body leave before the component has finished. The project's bundle
    renders requests under /stream/ with the apps' streaming bundles."""
    if framework not in settings.FRAMEWORK_DISTS:
        raise Http404("no such framework")
    title = request.GET.get("title", "Groceries")
    bundle = "client.dev.js" if request.GET.get("dev") == "1" else "client.js"
    return stream_template(request, "shop/streamed.html", {
        "title": title, "client_bundle": f"/static/{framework}/{bundle}",
    }, framework.capitalize() + "Checklist", {"title": title, "items": CHECKLIST_ITEMS},
        nonce=request.csp_nonce, url=request.get_full_path())


def streamed_delivery(request):
    """React's delivery page, streamed: the estimate waits ?wait_ms= in a Suspense boundary, so
    the shell with its fallback reaches the browser first and React's own script swaps the
    estimate in when it comes (with the request's nonce, under the example's CSP)."""
    product = request.GET.get("product", "Lamp")
    bundle = "client.dev.js" if request.GET.get("dev") == "1" else "client.js"
    props = {"product": product, "days": _int_param(request, "days", 2, 0, 365),
             "wait_ms": _int_param(request, "wait_ms", 300, 0, 5000)}
    return stream_template(request, "shop/streamed.html", {
        "title": f"Delivery of {product}", "client_bundle": f"/static/react/{bundle}",
    }, "ReactDelivery", props, nonce=request.csp_nonce, url=request.get_full_path())


def framework_bundle(request, framework, name):
    if framework not in settings.FRAMEWORK_DISTS or name not in CLIENT_BUNDLES:
        raise Http404("no such bundle")
    return serve(request, name, document_root=settings.FRAMEWORK_DISTS[framework])


def client_bundle(request):
    return serve(request, "client.js", document_root=settings.REACT_DIST)
