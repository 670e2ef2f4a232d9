// Exposes htmx as window.htmx before any extension module evaluates (imports run in order).
import htmx from "htmx.org";

window.htmx = htmx;
export default htmx;
