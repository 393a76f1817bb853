/* ptrwatch's Cockpit page: ptrwatchd on the system bus, rendered. Live from
 * VerdictChanged and PropertiesChanged (no polling); every text from DNS is
 * set as text, never as markup: PTR names are chosen by whoever holds the
 * reverse zone. */

"use strict";

(function () {
    const M = window.PtrwatchModel;
    const NAME = "org.ptrwatch.PtrWatch1";
    const PATH = "/org/ptrwatch/PtrWatch1";
    const IFACE = "org.ptrwatch.PtrWatch1.Manager";
    const PROPERTIES = "org.freedesktop.DBus.Properties";
    /* More rows than a person reads; beyond it the page lists the problems. */
    const ROWS_MAX = 1000;
    const FLAG_FORCE = 1;
    const FLAG_NOT_PASS = 1;

    /* superuser "try": with Cockpit's administrative access on, calls go as
     * root (Refresh, forced checks, no rate limit); without it, as the user. */
    const client = cockpit.dbus(NAME, { bus: "system", superuser: "try" });
    const state = { props: {}, verdicts: [], total: 0, loading: null, again: false, selected: null };
    const $ = id => document.getElementById(id);

    /* ---- DOM helpers ---- */

    function el(tag, attrs, ...children) {
        const node = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class")
                node.className = v;
            else if (k.startsWith("on"))
                node.addEventListener(k.slice(2), v);
            else if (v !== undefined && v !== null && v !== false)
                node.setAttribute(k, v === true ? "" : v);
        }
        for (const c of children.flat())
            if (c !== null && c !== undefined && c !== false)
                node.append(c instanceof Node ? c : document.createTextNode(String(c)));
        return node;
    }

    function badge(verdict, stale) {
        return el("span", { class: "pw-verdict", "data-verdict": verdict, title: M.VERDICTS[verdict].text },
                  M.VERDICTS[verdict].label, stale ? el("span", { class: "pw-stale" }, " stale") : null);
    }

    function names(list, confirmed) {
        if (!list.length)
            return el("span", { class: "pw-muted" }, "none");
        return el("ul", { class: "pw-names" }, list.map(n => el("li", {
            class: confirmed && !confirmed.includes(n) ? "pw-unconfirmed" : null,
            title: confirmed ? (confirmed.includes(n) ? "resolves back to the address" : "does not resolve back to the address") : null,
        }, n)));
    }

    /* "192.0.2.11 Fail (no-ptr)" */
    function headline(v, attrs) {
        return el("p", attrs, el("strong", {}, v.address), " ", badge(v.verdict, v.stale),
                  v.reasons.length ? ` (${v.reasons.join(", ")})` : "");
    }

    /* A refused or failed call, in words, its D-Bus error name kept for tests and styles. */
    function errorLine(error) {
        return el("p", { class: "pw-error", role: "alert", "data-error": error.name || error.problem || "" },
                  M.errorText(error));
    }

    function show(id, visible) {
        $(id).hidden = !visible;
    }

    /* ---- the summary and the table ---- */

    function renderSummary() {
        const p = state.props;
        const summary = $("summary");
        const verdict = M.VERDICTS[p.Summary] ? p.Summary : "unknown";
        summary.dataset.verdict = verdict;
        summary.textContent = M.VERDICTS[verdict].label;
        summary.title = M.VERDICTS[verdict].text;
        $("count").textContent = String((p.Addresses || []).length);
        $("last-refresh").textContent = M.time(p.LastRefresh);
        $("next-refresh").textContent = p.NextRefresh ? `${M.time(p.NextRefresh)} (${M.relative(p.NextRefresh, Date.now())})` : "none scheduled";
        $("notes").replaceChildren(...(p.Notes || []).map(n => el("li", {}, n)));
    }

    function row(v) {
        const now = Date.now();
        const select = () => selectAddress(v.address);
        return el("tr", { "data-address": v.address, "data-verdict": v.verdict, "data-stale": v.stale ? "true" : "false",
                          class: state.selected === v.address ? "pw-selected" : null },
                  el("th", { scope: "row", "data-label": "Address" },
                     el("button", { type: "button", class: "pw-link", onclick: select,
                                    "aria-label": `Details of ${v.address}` }, v.address)),
                  el("td", { "data-label": "Verdict" }, badge(v.verdict, v.stale),
                     v.reasons.length ? el("div", { class: "pw-reasons" }, v.reasons.join(", ")) : null),
                  el("td", { "data-label": "PTR names" }, names(v.ptr, v.confirmed)),
                  el("td", { "data-label": "HELO" }, names(v.helo)),
                  el("td", { "data-label": "Found by" }, v.sources.join(", ") || "—"),
                  el("td", { "data-label": "Next check", title: M.time(v.expires_at) }, M.relative(v.expires_at, now)));
    }

    function renderTable() {
        const rows = M.sortVerdicts(state.verdicts).map(row);
        document.querySelector("#verdicts tbody").replaceChildren(...rows);
        show("table-empty", state.total === 0);
        const partial = state.total > state.verdicts.length;
        show("table-partial", partial);
        if (partial)
            $("table-partial").textContent = `${state.total} addresses are watched; the ${state.verdicts.length} shown are those that do not pass (at most ${ROWS_MAX}). ptrwatch status lists all.`;
    }

    function render() {
        show("absent", false);
        show("overview", true);
        renderSummary();
        renderTable();
        $("app").removeAttribute("aria-busy");
    }

    function renderAbsent() {
        state.verdicts = [];
        state.total = 0;
        show("absent", true);
        show("overview", false);
        renderTable();
        show("table-empty", false);
        $("app").removeAttribute("aria-busy");
    }

    /* ---- loading: on start, on every signal, on the name's return ---- */

    function call(method, args, signature, options) {
        return client.call(PATH, IFACE, method, args, Object.assign({ type: signature }, options || {}));
    }

    async function fetchVerdicts() {
        const [total, page] = await call("ListVerdicts", [0, ROWS_MAX, 0], "ttt");
        if (total <= ROWS_MAX)
            return { total, verdicts: page.map(M.verdict) };
        /* too many for a page: the ones that need attention */
        const [, bad] = await call("ListVerdicts", [0, ROWS_MAX, FLAG_NOT_PASS], "ttt");
        return { total, verdicts: bad.map(M.verdict) };
    }

    async function fetchAll() {
        const [props] = await client.call(PATH, PROPERTIES, "GetAll", [IFACE], { type: "s" });
        const { total, verdicts } = await fetchVerdicts();
        state.props = M.fromDict(props);
        state.total = total;
        state.verdicts = verdicts;
    }

    /* One load at a time; signals during one ask for one more after it. */
    function reload() {
        if (state.loading) {
            state.again = true;
            return state.loading;
        }
        state.loading = fetchAll()
            .then(render, error => {
                if (M.isGone(error)) {
                    renderAbsent();
                } else {
                    refreshStatus("pw-danger", el("strong", {}, "Could not read the verdicts. "), M.errorText(error));
                    $("app").removeAttribute("aria-busy");
                }
            })
            .then(() => {
                state.loading = null;
                if (state.again) {
                    state.again = false;
                    return reload();
                }
            });
        return state.loading;
    }

    /* The reload reads the properties anew: the signal only says when. */
    function onPropertiesChanged(path, iface, signal, args) {
        if (args[0] === IFACE)
            reload();
    }

    /* ---- Refresh ---- */

    function refreshStatus(kind, ...content) {
        const box = $("refresh-status");
        box.className = `pw-alert ${kind}`;
        box.replaceChildren(...content);
        box.hidden = false;
    }

    async function onRefresh() {
        const button = $("refresh");
        button.disabled = true;
        button.textContent = "Refreshing…";
        refreshStatus("pw-info", "Discovering the outbound addresses again and checking each of them.");
        try {
            await call("Refresh", [], "", { timeout: 300000 });
            refreshStatus("pw-success", `Refreshed at ${M.time(Date.now() * 1000)}.`);
        } catch (error) {
            if (M.isDenied(error)) {
                const user = (await cockpit.user().catch(() => ({}))).name || "USER";
                refreshStatus("pw-danger", el("strong", {}, "Access denied. "),
                              `Refresh is for root and the ptrwatchd user. Turn on administrative access, or let ${user} refresh with a bus policy drop-in, /etc/dbus-1/system.d/ptrwatch-${user}.conf:`,
                              el("pre", {}, el("code", {}, M.refreshPolicy(user))),
                              "then systemctl reload dbus.");
            } else {
                refreshStatus("pw-danger", el("strong", {}, "Refresh failed. "), M.errorText(error));
            }
        } finally {
            button.disabled = false;
            button.textContent = "Refresh";
        }
    }

    /* ---- the check form ---- */

    function verdictCard(v) {
        return el("div", { class: "pw-result", "data-address": v.address, "data-verdict": v.verdict },
                  headline(v, {}),
                  el("p", { class: "pw-message" }, v.message),
                  el("p", {}, "PTR: ", v.ptr.length ? v.ptr.join(", ") : "none",
                     v.checked_at ? ` · checked ${M.time(v.checked_at)}, valid ${M.duration(v.ttl)}` : ""),
                  el("button", { type: "button", class: "pw-button pw-plain", onclick: () => selectAddress(v.address) },
                     "Explain"));
    }

    async function onCheck(event) {
        event.preventDefault();
        const input = $("check-address");
        const result = $("check-result");
        const address = input.value.trim();
        if (!address) {
            input.setAttribute("aria-invalid", "true");
            result.replaceChildren(el("p", { class: "pw-error", role: "alert" }, "Enter an IPv4 or IPv6 address."));
            input.focus();
            return;
        }
        $("check-submit").disabled = true;
        result.replaceChildren(el("p", { class: "pw-muted" }, `Checking ${address}…`));
        try {
            const [dict] = await call("Check", [address, $("check-force").checked ? FLAG_FORCE : 0], "st");
            input.removeAttribute("aria-invalid");
            result.replaceChildren(verdictCard(M.verdict(dict)));
        } catch (error) {
            input.setAttribute("aria-invalid", String(error.name === "org.freedesktop.DBus.Error.InvalidArgs"));
            result.replaceChildren(errorLine(error));
        } finally {
            $("check-submit").disabled = false;
        }
    }

    /* ---- explain ---- */

    function table(caption, headers, rows) {
        return el("div", { class: "pw-table-wrap" },
                  el("table", { class: "pw-table pw-compact" },
                     el("caption", {}, caption),
                     el("thead", {}, el("tr", {}, headers.map(h => el("th", { scope: "col" }, h)))),
                     el("tbody", {}, rows.map(r => el("tr", r.attrs || {}, r.cells.map((c, i) =>
                         el("td", { "data-label": headers[i] }, c)))))));
    }

    function authorityBlock(v) {
        const a = v.authority;
        const ask = M.request(v.message);
        const parts = [];
        if (ask)
            parts.push(el("div", { class: "pw-alert pw-warning pw-ask" }, el("h3", {}, "What to ask for"), el("p", {}, `Ask ${ask}.`)));
        if (a && (a.zone || a.contact))
            parts.push(el("dl", { class: "pw-facts pw-authority" },
                          el("dt", {}, "Reverse zone"), el("dd", {}, a.zone || "unknown",
                                                          a.classless ? " (RFC 2317 classless delegation)" : ""),
                          el("dt", {}, "Name servers"), el("dd", {}, (a.nameservers || []).join(", ") || "unknown"),
                          el("dt", {}, "Contact"), el("dd", {}, a.contact || "unknown"),
                          a.registry ? [el("dt", {}, "Held by"), el("dd", {}, `${a.registry}: the block is not delegated`)] : null));
        return parts.length ? [el("h3", {}, "Who can fix it"), ...parts] : [];
    }

    function renderExplanation(x) {
        const v = x.verdict;
        const lookups = x.lookups.map(l => ({
            cells: [l.type || "?", l.name || "?", `${l.status || "?"} (rcode ${l.rcode})`,
                l.ttl === undefined ? "—" : M.duration(Number(l.ttl)), (l.answer || []).join(", ") || "—"],
        }));
        const receivers = M.receivers(v.receivers, x.sources).map(r => ({
            attrs: { "data-receiver": r.name, "data-action": r.action },
            cells: [r.label, r.reaction, r.source],
        }));
        return [
            headline(v, { class: "pw-explain-verdict" }),
            el("p", { class: "pw-message" }, M.finding(v.message)),
            ...authorityBlock(v),
            el("h3", {}, "What receivers will do"),
            el("p", { class: "pw-muted" }, `Mail from ${v.address}`, v.helo.length ? ` with HELO ${v.helo[0]}` : "", "."),
            table("Predicted reactions", ["Receiver", "Reaction", "Source"], receivers),
            el("h3", {}, "PTR names"),
            names(v.ptr, v.confirmed),
            el("h3", {}, "Lookups"),
            table("DNS lookups, in the order the answers came", ["Type", "Name", "Status", "TTL", "Answer"], lookups),
        ];
    }

    async function selectAddress(address) {
        state.selected = address;
        for (const tr of document.querySelectorAll("#verdicts tbody tr"))
            tr.classList.toggle("pw-selected", tr.dataset.address === address);
        const panel = $("explain");
        const body = $("explain-body");
        panel.hidden = false;
        panel.dataset.address = address;
        $("explain-title").textContent = `Details of ${address}`;
        body.replaceChildren(el("p", { class: "pw-muted" }, `Asking DNS about ${address}…`));
        panel.focus();
        try {
            const [dict] = await call("Explain", [address], "s", { timeout: 60000 });
            if (state.selected === address)
                body.replaceChildren(...renderExplanation(M.explanation(dict)));
        } catch (error) {
            if (state.selected === address)
                body.replaceChildren(errorLine(error));
        }
    }

    function closeExplain() {
        state.selected = null;
        $("explain").hidden = true;
        for (const tr of document.querySelectorAll("#verdicts tr.pw-selected"))
            tr.classList.remove("pw-selected");
    }

    /* ---- start ---- */

    function start() {
        client.subscribe({ path: PATH, interface: IFACE, member: "VerdictChanged" }, () => reload());
        client.subscribe({ path: PATH, interface: PROPERTIES, member: "PropertiesChanged" }, onPropertiesChanged);
        /* the name came or went: ptrwatchd started, restarted or stopped */
        client.addEventListener("owner", (event, owner) => (owner ? reload() : renderAbsent()));
        $("refresh").addEventListener("click", onRefresh);
        $("check-form").addEventListener("submit", onCheck);
        $("explain-close").addEventListener("click", closeExplain);
        document.addEventListener("keydown", e => {
            if (e.key === "Escape" && !$("explain").hidden)
                closeExplain();
        });
        reload();
    }

    document.addEventListener("DOMContentLoaded", start);
}());
