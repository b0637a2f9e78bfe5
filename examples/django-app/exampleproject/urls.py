from django.urls import path

from shop import views

urlpatterns = [
    path("products/", views.products, name="products"),
    path("tiny/", views.tiny, name="tiny"),
    # The checklist page of each example app (react, vue, svelte, preact), same template tag.
    path("checklist/<str:framework>/", views.checklist, name="checklist"),
    # Streamed pages (ssrd_django.streaming): every framework's checklist, React's Suspense page.
    path("stream/checklist/<str:framework>/", views.streamed_checklist, name="streamed-checklist"),
    path("stream/delivery/", views.streamed_delivery, name="streamed-delivery"),
    # The client bundle, served by Django itself so the example needs no extra package; a real
    # deployment lets the web server or a CDN serve static files.
    path("static/client.js", views.client_bundle, name="client-bundle"),
    path("static/<str:framework>/<str:name>", views.framework_bundle, name="framework-bundle"),
]
