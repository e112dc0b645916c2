// A paged list page: "more" appends the next page; a reload fetches as many rows as are shown.

import { byId, fill, showError } from "./dom.js";

const PAGE = 100;

// fetchPage(offset, limit) -> {items, next_offset}; rows(items) -> <tr>s; name -> data-loaded.
export function pagedTable(tbodySelector, name, fetchPage, rows) {
  const state = { shown: 0, next: 0 };
  function render(page, append) {
    const body = document.querySelector(tbodySelector);
    const made = rows(page.items);
    if (append) body.append(...made);
    else fill(body, made);
    state.shown = (append ? state.shown : 0) + page.items.length;
    state.next = page.next_offset;
    byId("empty").hidden = body.children.length > 0;
    byId("more").hidden = page.next_offset === null;
    document.body.dataset.loaded = name;
  }
  async function load(append = false) {
    try {
      const offset = append ? state.next : 0;
      const limit = append ? PAGE : Math.max(PAGE, state.shown);
      render(await fetchPage(offset, limit), append);
      showError(null);
    } catch (error) {
      showError(error);
    }
  }
  byId("more").addEventListener("click", () => load(true));
  return load;
}
