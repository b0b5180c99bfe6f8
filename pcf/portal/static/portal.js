// Supplier carbon portal: sortable and filterable tables, polling of background jobs.
// Plain JavaScript, no library; every page also works without it.
"use strict";

function cellValue(row, i) {
  const cell = row.cells[i];
  if (!cell) return "";
  const v = cell.getAttribute("data-value");
  if (v !== null && v !== "" && !isNaN(Number(v))) return Number(v);
  return cell.textContent.trim().toLowerCase();
}

function makeSortable(table) {
  const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
  heads.forEach((th, i) => {
    const button = th.querySelector("button.sort");
    if (!button) return;
    button.addEventListener("click", () => {
      const asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = cellValue(a, i), y = cellValue(b, i);
        const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
}

function makeFilter(input) {
  const table = document.getElementById(input.getAttribute("data-filter"));
  if (!table) return;
  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    Array.from(table.tBodies[0].rows).forEach((r) => {
      r.hidden = q !== "" && !r.textContent.toLowerCase().includes(q);
    });
  });
}

function pollJob(box) {
  const url = box.getAttribute("data-status-url");
  const seconds = document.getElementById("job-seconds");
  const tick = () => {
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((s) => {
        if (s.status === "done" && s.redirect) { window.location.assign(s.redirect); return; }
        if (s.status === "failed") {
          const err = document.getElementById("job-error");
          err.querySelector(".detail").textContent = s.error || "";
          err.classList.remove("hidden");
          const p = box.querySelector("p"); if (p && p !== err) p.hidden = true;
          return;
        }
        if (seconds && s.seconds !== undefined) seconds.textContent = "(" + s.seconds + " s)";
        const bar = document.getElementById("job-progress");
        if (bar && typeof s.progress === "number") {
          bar.value = s.progress;
          bar.textContent = Math.round(s.progress * 100) + " %";
          document.getElementById("job-percent").textContent = Math.round(s.progress * 100) + " %";
          if (s.stage) document.getElementById("job-stage").textContent = s.stage;
        }
        setTimeout(tick, 700);
      })
      .catch(() => setTimeout(tick, 2000));
  };
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("input[data-filter]").forEach(makeFilter);
  const job = document.getElementById("job");
  if (job && job.getAttribute("data-status-url")) pollJob(job);
});
