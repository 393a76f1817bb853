/* ptrwatch's Cockpit page: what ptrwatchd's D-Bus answers mean, as plain
 * values and words. No DOM, no bus: page.js renders what this returns. */

"use strict";

window.PtrwatchModel = (function () {
    /* Worst first: the order a summary picks and a table sorts by. */
    const VERDICTS = {
        fail:      { rank: 0, label: "Fail",       text: "mail from this address is rejected or filed as spam" },
        temperror: { rank: 1, label: "DNS error",  text: "DNS did not answer; receivers defer or judge without it" },
        warn:      { rank: 2, label: "Warning",    text: "accepted by most, scored up by some" },
        unknown:   { rank: 3, label: "Not checked", text: "no verdict yet" },
        pass:      { rank: 4, label: "Pass",       text: "forward-confirmed reverse DNS" },
    };

    /* What the rejecting receivers are called for a person, in the order
     * ptrwatch lists them (common/receivers.c). */
    const RECEIVERS = {
        "postfix-unknown-client": "Postfix reject_unknown_client_hostname",
        "postfix-unknown-reverse-client": "Postfix reject_unknown_reverse_client_hostname",
        "postfix-invalid-helo": "Postfix reject_invalid_helo_hostname",
        "postfix-non-fqdn-helo": "Postfix reject_non_fqdn_helo_hostname",
        "postfix-unknown-helo": "Postfix reject_unknown_helo_hostname",
        gmail: "Gmail",
        yahoo: "Yahoo",
        outlook: "Outlook.com",
        spamassassin: "SpamAssassin",
        rspamd: "Rspamd",
    };

    const ACTIONS = { accept: "accepts", tempfail: "defers (4xx)", reject: "rejects (5xx)", none: "no effect" };

    /* cockpit.dbus() hands a variant over as {t: signature, v: value}; the
     * dictionaries ptrwatchd sends nest them (a{sv} in a{sv}, aa{sv},
     * a{sa{sv}}). Plain values, by signature, so that a key that happens to
     * be called "t" or "v" cannot confuse it. */
    function fromVariant(variant) {
        if (!variant || typeof variant.t !== "string")
            return undefined;
        switch (variant.t) {
        case "a{sv}":
            return fromDict(variant.v);
        case "aa{sv}":
            return (variant.v || []).map(fromDict);
        case "a{sa{sv}}":
            return Object.fromEntries(Object.entries(variant.v || {}).map(([k, d]) => [k, fromDict(d)]));
        default:
            return variant.v;
        }
    }

    function fromDict(dict) {
        return Object.fromEntries(Object.entries(dict || {}).map(([k, v]) => [k, fromVariant(v)]));
    }

    /* A verdict dictionary with every key the page reads present. */
    function verdict(dict) {
        const v = fromDict(dict);
        const list = x => (Array.isArray(x) ? x : []);
        return {
            address: v.address || "",
            reverse_name: v.reverse_name || "",
            verdict: VERDICTS[v.verdict] ? v.verdict : "unknown",
            reasons: list(v.reasons),
            ptr: list(v.ptr),
            confirmed: list(v.confirmed),
            helo: list(v.helo),
            sources: list(v.sources),
            receivers: v.receivers || {},
            authority: v.authority || null,
            message: v.message || "",
            ttl: Number(v.ttl || 0),
            checked_at: Number(v.checked_at || 0),
            expires_at: Number(v.expires_at || 0),
            stale: !!v.stale,
            watched: !!v.watched,
            resolver_stale: !!v.resolver_stale,
        };
    }

    /* Explain's answer: the verdict (as Check's), the lookups in the order
     * the answers came, and where each prediction comes from. */
    function explanation(dict) {
        const v = dict.verdict && dict.verdict.t === "a{sv}" ? dict.verdict.v : {};
        return {
            verdict: verdict(v),
            lookups: fromVariant(dict.lookups) || [],
            sources: fromVariant(dict.receiver_sources) || {},
        };
    }

    function byAddress(a, b) {
        return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
    }

    /* Worst first, then by address: the problems on top. */
    function sortVerdicts(list) {
        return list.slice().sort((a, b) => VERDICTS[a.verdict].rank - VERDICTS[b.verdict].rank || byAddress(a, b));
    }

    /* µs since the epoch (0: never) as local date and time. */
    function time(usec) {
        if (!usec)
            return "never";
        const d = new Date(usec / 1000);
        const pad = n => String(n).padStart(2, "0");
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }

    function duration(seconds) {
        const s = Math.max(0, Math.round(seconds));
        if (s < 90)
            return `${s} s`;
        if (s < 90 * 60)
            return `${Math.round(s / 60)} min`;
        if (s < 36 * 3600)
            return `${Math.round(s / 3600)} h`;
        return `${Math.round(s / 86400)} d`;
    }

    /* "in 9 min" / "4 min ago" from µs since the epoch, against now (ms). */
    function relative(usec, nowMs) {
        if (!usec)
            return "—";
        const delta = (usec / 1000 - nowMs) / 1000;
        return delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
    }

    /* The request to send to whoever holds the reverse zone: ptrwatchd ends
     * the message of every verdict that needs one with "; ask …". */
    const ASK = "; ask ";

    function request(message) {
        const at = message.indexOf(ASK);
        return at < 0 ? "" : message.slice(at + ASK.length);
    }

    /* The message without its request, where the request is shown apart. */
    function finding(message) {
        const at = message.indexOf(ASK);
        return at < 0 ? message : message.slice(0, at);
    }

    /* One receiver's predicted reaction, for a person. */
    function reaction(name, p) {
        if (p.score !== undefined) {
            const rules = p.rules || p.symbols || [];
            return rules.length ? `${rules.join(" ")} (+${Number(p.score).toFixed(1)})` : "no rule hits";
        }
        const what = ACTIONS[p.action] || p.action || "";
        return p.reply ? `${what}: ${p.reply}` : p.note ? `${what}: ${p.note}` : what;
    }

    /* Receivers in the daemon's order, each with its reaction and source. */
    function receivers(predictions, sources) {
        return Object.keys(predictions || {}).map(name => ({
            name,
            label: RECEIVERS[name] || name,
            action: predictions[name].action || (predictions[name].score > 0 ? "score" : "accept"),
            reaction: reaction(name, predictions[name]),
            source: (sources && sources[name]) || "",
        }));
    }

    /* The words for a D-Bus error from ptrwatchd or the bus, for the page. */
    const ERRORS = {
        "org.freedesktop.DBus.Error.InvalidArgs": "Not accepted",
        "org.ptrwatch.PtrWatch1.Error.RateLimited":
            "Too many live checks: other users than root and ptrwatchd may make 10 at once, then one every 6 seconds. Answers already in the cache are never limited; try again shortly.",
        "org.freedesktop.DBus.Error.AccessDenied": "Access denied",
        "org.freedesktop.DBus.Error.LimitsExceeded": "ptrwatchd is busy: too many calls are waiting for DNS; try again shortly.",
        "org.freedesktop.DBus.Error.NoReply": "ptrwatchd did not answer in time.",
    };

    /* Errors that mean "no ptrwatchd on the bus" rather than "it said no". */
    const GONE = [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.systemd1.NoSuchUnit",
        "org.freedesktop.DBus.Error.Spawn.ChildExited",
        "not-found",
    ];

    function errorText(error) {
        const name = (error && (error.name || error.problem)) || "";
        const base = ERRORS[name];
        const message = (error && error.message) || String(error);
        if (name === "org.freedesktop.DBus.Error.InvalidArgs")
            return `${base}: ${message}`;
        return base || message;
    }

    function isGone(error) {
        return !!error && (GONE.includes(error.name) || GONE.includes(error.problem));
    }

    function isDenied(error) {
        return !!error && (error.name === "org.freedesktop.DBus.Error.AccessDenied" || error.problem === "access-denied");
    }

    /* The bus policy drop-in that lets user refresh (README, dbus/…conf). */
    function refreshPolicy(user) {
        return `<busconfig>
  <policy user="${user}">
    <allow send_destination="org.ptrwatch.PtrWatch1"
           send_interface="org.ptrwatch.PtrWatch1.Manager" send_member="Refresh"/>
  </policy>
</busconfig>`;
    }

    return {
        VERDICTS, fromVariant, fromDict, verdict, explanation, sortVerdicts, time, duration, relative,
        request, finding, receivers, errorText, isGone, isDenied, refreshPolicy,
    };
}());
