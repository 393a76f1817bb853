/* Light or dark, as the rest of Cockpit: the shell keeps the choice in
 * localStorage "shell:style" (auto, light, dark) and announces changes with
 * a "cockpit-style" event on each page's window; "auto" follows the
 * browser's prefers-color-scheme. The class is the one PatternFly uses. */

"use strict";

(function () {
    const query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

    function apply(style) {
        let chosen = style;
        if (!chosen) {
            try {
                chosen = window.localStorage.getItem("shell:style");
            } catch (e) {
                chosen = null; // storage refused (private mode): follow the browser
            }
        }
        const dark = chosen === "dark" || ((!chosen || chosen === "auto") && !!query && query.matches);
        document.documentElement.classList.toggle("pf-theme-dark", dark);
    }

    window.addEventListener("storage", event => {
        if (event.key === "shell:style")
            apply();
    });
    window.addEventListener("cockpit-style", event => apply(event.detail && event.detail.style));
    if (query && query.addEventListener)
        query.addEventListener("change", () => apply());
    apply();
}());
