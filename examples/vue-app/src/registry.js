// The components a request may name, shared by the server and client entries. The names are
// unique across the example apps, so that the Django project can serve all of them from one
// bundle (examples/django-app).
import Checklist from './Checklist.vue';

export const components = { VueChecklist: Checklist };
