/* Names for the admin's form controls that Django's markup and its select2
   widgets leave unnamed, so a screen reader announces each one: a cell of an
   inline table takes its column's header, a split date and time take their
   field's label, a select2 widget the label of the select it stands for. */
"use strict";
(function () {
  function unnamed(control) {
    return !control.hasAttribute("aria-label") &&
      !control.hasAttribute("aria-labelledby") &&
      !(control.labels && control.labels.length);
  }

  function labelOf(id) {
    const label = id && document.querySelector('label[for="' + CSS.escape(id) + '"]');
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function nameInlineCells(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      table.querySelectorAll("tbody td").forEach(function (cell) {
        const column = Array.from(cell.classList).find(function (name) {
          return name.startsWith("field-");
        });
        let header = "";
        if (column) {
          const th = table.querySelector("thead th.column-" + column.slice(6));
          header = th ? th.textContent.trim() : "";
        } else if (cell.classList.contains("delete")) {
          header = "Delete";
        }
        if (!header) return;
        cell.querySelectorAll("input:not([type=hidden]), select, textarea")
          .forEach(function (control) {
            if (unnamed(control)) control.setAttribute("aria-label", header);
          });
      });
    });
  }

  function nameSplitDateTimes(root) {
    root.querySelectorAll("p.datetime").forEach(function (group) {
      const inputs = group.querySelectorAll("input");
      if (inputs.length !== 2) return;
      const field = labelOf(inputs[0].id) || labelOf(inputs[0].id.replace(/_0$/, ""));
      [["date", inputs[0]], ["time", inputs[1]]].forEach(function (pair) {
        if (unnamed(pair[1]) || pair[1].labels.length === 0) {
          pair[1].setAttribute("aria-label", (field ? field + ", " : "") + pair[0]);
        }
      });
    });
  }

  function nameSelect2(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      const name = select.getAttribute("aria-label") || labelOf(select.id) || select.name;
      container.querySelectorAll(
        ".select2-selection, .select2-search__field, [role=textbox]"
      )
        .forEach(function (control) {
          control.setAttribute("aria-label", name);
        });
      // select2 puts its "clear" button inside the list of chosen items,
      // where only list items belong.
      container.querySelectorAll("ul > .select2-selection__clear")
        .forEach(function (clear) {
          clear.parentElement.before(clear);
        });
    });
  }

  function nameAll() {
    nameInlineCells(document);
    nameSplitDateTimes(document);
    nameSelect2(document);
  }

  // Django starts its select2 widgets when the page is ready; this runs after.
  window.addEventListener("load", function () {
    nameAll();
    setTimeout(nameAll);
  });
  document.addEventListener("formset:added", function () {
    setTimeout(nameAll);
  });
  // select2 draws its widget again on each choice, through jQuery's events.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(document).on(
      "change select2:select select2:unselect select2:clear",
      function () { setTimeout(nameAll); }
    );
  }
})();
