// The team shelf's search and filters (invoke shelf). The index page carries its own search
// index (a JSON data block, read here): search works from a shared drive's file:// as well as
// from a web server, and asks nothing of any server. Results are made with DOM calls only.
"use strict";
(function () {
  const MAX_RESULTS = 50;
  const source = document.getElementById("shelf-index");
  const form = document.getElementById("search-form");
  const input = document.getElementById("search");
  const results = document.getElementById("results");
  const list = document.getElementById("result-list");
  const count = document.getElementById("results-count");
  const filters = document.getElementById("filters");
  const yearSelect = document.getElementById("year-filter");
  const tagSelect = document.getElementById("tag-filter");
  const cards = Array.from(document.querySelectorAll("#cards > .card"));
  if (!source || !form || !input) {
    return;
  }

  function normalize(text) {
    return text.normalize("NFC").toLocaleLowerCase("ko").replace(/\s+/g, " ").trim();
  }

  const reports = JSON.parse(source.textContent).reports.map(function (report) {
    const title = normalize(report.title);
    return {
      name: report.name,
      title: report.title,
      year: report.year || "-",
      tags: report.tags,
      key: title,
      talks: report.talks.map(function (talk) {
        return {
          id: talk[0],
          title: talk[1],
          speaker: talk[2],
          key: normalize(talk[1] + " " + talk[2]) + " " + title,
        };
      }),
    };
  });

  function allowed(year, tags) {
    const wantedYear = yearSelect ? yearSelect.value : "";
    const wantedTag = tagSelect ? tagSelect.value : "";
    return (!wantedYear || year === wantedYear) && (!wantedTag || tags.indexOf(wantedTag) >= 0);
  }

  function matches(key, words) {
    return words.every(function (word) {
      return key.indexOf(word) >= 0;
    });
  }

  function resultItem(report, talk) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "reports/" + report.name + "/index.html" + (talk ? "#" + talk.id : "");
    link.textContent = talk ? talk.title : report.title;
    item.append(link);
    if (talk && talk.speaker) {
      const speaker = document.createElement("span");
      speaker.className = "speaker";
      speaker.textContent = " " + talk.speaker;
      item.append(speaker);
    }
    if (talk) {
      const where = document.createElement("span");
      where.className = "in-report";
      where.textContent = " — " + report.title;
      item.append(where);
    }
    return item;
  }

  function search() {
    const query = normalize(input.value);
    list.replaceChildren();
    if (!query) {
      results.hidden = true;
      return;
    }
    const words = query.split(" ");
    const found = [];
    reports.forEach(function (report) {
      if (!allowed(report.year, report.tags)) {
        return;
      }
      if (matches(report.key, words)) {
        found.push([report, null]);
        return;
      }
      report.talks.forEach(function (talk) {
        if (matches(talk.key, words)) {
          found.push([report, talk]);
        }
      });
    });
    found.slice(0, MAX_RESULTS).forEach(function (hit) {
      list.append(resultItem(hit[0], hit[1]));
    });
    count.textContent = found.length
      ? "“" + input.value.trim() + "”: " + found.length + "건" +
        (found.length > MAX_RESULTS ? " (처음 " + MAX_RESULTS + "건)" : "")
      : "“" + input.value.trim() + "”을(를) 찾지 못했습니다.";
    results.hidden = false;
  }

  function filter() {
    cards.forEach(function (card) {
      card.hidden = !allowed(card.dataset.year, JSON.parse(card.dataset.tags));
    });
    search();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  input.addEventListener("input", search);
  [yearSelect, tagSelect].forEach(function (select) {
    if (select) {
      select.addEventListener("change", filter);
    }
  });
  if (filters) {
    filters.hidden = false;
  }
  const asked = new URLSearchParams(window.location.search).get("q");
  if (asked) {
    input.value = asked;
    search();
  }
})();
