// The components a request may name, shared by the server and client entries so both agree on
// what "component" means. The names are unique across the example apps, so that the Django
// project can serve all of them from one bundle (examples/django-app).
import { Checklist } from './components/Checklist.jsx';
import { Delivery } from './components/Delivery.jsx';
import { ProductPage } from './components/ProductPage.jsx';
import { Tiny } from './components/Tiny.jsx';

export const components = { ProductPage, Tiny, ReactChecklist: Checklist, ReactDelivery: Delivery };
