// The components a request may name, shared by the server and client entries
// so both agree on what "component" means.
import { ProductPage } from './components/ProductPage.jsx';
import { Tiny } from './components/Tiny.jsx';

export const components = { ProductPage, Tiny };
