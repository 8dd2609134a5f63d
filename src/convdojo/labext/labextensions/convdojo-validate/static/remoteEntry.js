// convdojo's Validate button, as a JupyterLab federated extension written by hand (no build step).
// JupyterLab loads this file, calls init() with its shared modules and get("./extension") for the
// plugin, exactly as it does for a webpack-built extension; the plugin takes what it needs from
// the shared scope (@jupyterlab/apputils, @lumino/widgets, @jupyterlab/services).
// The button saves the notebook, POSTs its path to the server extension (convdojo.labext) and shows
// the text `convdojo validate` prints, in a panel beside the notebook.
var _JUPYTERLAB = (window._JUPYTERLAB = window._JUPYTERLAB || {});
(function () {
  "use strict";
  let scope = null;

  async function shared(name) {
    const versions = scope && scope[name];
    if (!versions) throw new Error(`convdojo-validate: JupyterLab shares no ${name}`);
    const newest = Object.keys(versions).sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
    const factory = await versions[newest].get();
    return factory();
  }

  const MARKS = { "✓": "passed", "✗": "failed", "○": "unanswered", "✎": "written" };
  const CSS = `
.convdojo-report { overflow: auto; padding: 8px 14px; font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); background: var(--jp-layout-color0); color: var(--jp-ui-font-color0); }
.convdojo-report header { font-family: var(--jp-ui-font-family); margin: 4px 0 8px; }
.convdojo-report pre { white-space: pre-wrap; margin: 0; line-height: 1.45; }
.convdojo-report pre > span { display: block; }
.convdojo-report pre > .cd-row { padding-left: 5ch; text-indent: -5ch; }
.convdojo-report pre > .cd-feedback { padding-left: 7ch; text-indent: -7ch; }
.convdojo-report .cd-passed { color: #007a5a; font-weight: 600; }
.convdojo-report .cd-failed { color: #b54700; font-weight: 600; }
.convdojo-report .cd-unanswered { color: #8a6100; font-weight: 600; }
.convdojo-report .cd-written { color: var(--jp-ui-font-color1); }
.convdojo-report .cd-feedback { color: var(--jp-ui-font-color1); }
.convdojo-report footer { margin-top: 10px; font-family: var(--jp-ui-font-family); color: var(--jp-ui-font-color2); }
.convdojo-report [data-status="running"] { font-style: italic; }`;

  function addStyle() {
    if (document.getElementById("convdojo-validate-style")) return;
    const style = document.createElement("style");
    style.id = "convdojo-validate-style";
    style.textContent = CSS;
    document.head.append(style);
  }

  // One line of the report: the exercise rows get their mark's colour, feedback lines stay plain.
  function line(text, inExercise) {
    const span = document.createElement("span");
    const m = text.match(/^\s{2}(\S)\s/);
    if (m && MARKS[m[1]]) {
      span.className = `cd-row cd-${MARKS[m[1]]}`;
      span.dataset.mark = MARKS[m[1]];
    } else if (inExercise && /^\s{7}/.test(text)) {
      span.className = "cd-feedback";
    }
    span.textContent = text || " "; // one block per line: a blank line keeps its height
    return span;
  }

  function activate(app, mods) {
    const { ToolbarButton } = mods.apputils;
    const { Widget } = mods.widgets;
    const { ServerConnection } = mods.services;
    const settings = app.serviceManager.serverSettings;
    const reports = new Map(); // notebook panel id -> its report widget
    let count = 0;
    addStyle();

    async function post(what, path) {
      const reply = await ServerConnection.makeRequest(`${settings.baseUrl}convdojo/${what}`,
        { method: "POST", body: JSON.stringify({ path }) }, settings);
      if (!reply.ok) throw new Error(`the server answered ${reply.status} ${reply.statusText}`);
      return reply.json();
    }

    function reportFor(panel) {
      let view = reports.get(panel.id);
      if (view && !view.isDisposed) return view;
      view = new Widget();
      view.id = `convdojo-validate-${++count}`;
      view.addClass("convdojo-report");
      view.title.closable = true;
      view.node.setAttribute("role", "region");
      view.node.tabIndex = 0;
      const head = document.createElement("header");
      const pre = document.createElement("pre");
      const foot = document.createElement("footer");
      view.node.append(head, pre, foot);
      view.parts = { head, pre, foot };
      reports.set(panel.id, view);
      panel.disposed.connect(() => view.dispose());
      return view;
    }

    function show(view, panel, state, headText, body, footText) {
      const name = panel.context.path.split("/").pop();
      view.title.label = `Validate: ${name}`;
      view.node.setAttribute("aria-label", `convdojo validate report for ${name}`);
      view.node.dataset.status = state;
      view.parts.head.textContent = headText;
      view.parts.head.dataset.status = state;
      view.parts.pre.replaceChildren();
      let inExercise = false;
      for (const text of body.split("\n")) {
        const span = line(text, inExercise);
        if (span.dataset.mark) inExercise = true;
        else if (!/^\s{7}/.test(text)) inExercise = false;
        view.parts.pre.append(span);
      }
      view.parts.foot.textContent = footText;
      if (!view.isAttached) app.shell.add(view, "main", { mode: "split-right", ref: panel.id });
    }

    async function run(panel) {
      const view = reportFor(panel);
      show(view, panel, "running", "Saving the notebook and running the visible checks…", "", "");
      try {
        await panel.context.save(); // the check reads the saved file, as the grader will
        const reply = await post("validate", panel.context.path);
        const head = reply.status === "graded"
          ? `Checked the saved notebook in ${reply.seconds.toFixed(1)} s, in the grader's sandbox.`
          : reply.status === "broken" ? "This notebook cannot be graded as it is." : "Validate could not run.";
        const warnings = (reply.warnings || []).map((w) => `warning: ${w}\n`).join("");
        const foot = reply.command ? `The same check in a terminal opened in JupyterLab's root folder: ${reply.command}` : "";
        show(view, panel, reply.status, head, warnings + reply.text, foot);
        view.node.dataset.exit = String(reply.exit);
      } catch (err) {
        show(view, panel, "error", "Validate could not reach the convdojo server extension.", String(err),
          "Restart JupyterLab with `make lab`, or run `convdojo validate` in a terminal.");
      }
      app.shell.activateById(panel.id);
      return view.id;
    }

    app.commands.addCommand("convdojo:validate", {
      label: "Validate with convdojo",
      caption: "Save this notebook and run convdojo's visible checks on it",
      isEnabled: () => !!(app.shell.currentWidget && app.shell.currentWidget.context && app.shell.currentWidget.content),
      execute: () => run(app.shell.currentWidget),
    });

    app.docRegistry.addWidgetExtension("Notebook", {
      createNew(panel, context) {
        const button = new ToolbarButton({
          className: "convdojo-validate-button",
          label: "Validate",
          tooltip: "Save, then run convdojo's visible checks on this notebook (as `convdojo validate`)",
          onClick: () => { run(panel); },
        });
        button.node.setAttribute("aria-label", "Validate with convdojo");
        panel.toolbar.insertItem(10, "convdojo-validate", button);
        // Start this assignment's sandbox now, so the first Validate does not wait for torch.
        context.ready.then(() => post("warm", context.path)).catch(() => {});
        return button;
      },
    });
  }

  const plugin = {
    id: "convdojo-validate:plugin",
    description: "A Validate button that shows convdojo's per-exercise report.",
    autoStart: true,
    activate: () => {},
  };

  _JUPYTERLAB["convdojo-validate"] = {
    init(shareScope) {
      scope = shareScope;
    },
    async get(module) {
      if (module !== "./extension") throw new Error(`convdojo-validate has no module ${module}`);
      const mods = {
        apputils: await shared("@jupyterlab/apputils"),
        widgets: await shared("@lumino/widgets"),
        services: await shared("@jupyterlab/services"),
      };
      const ready = { ...plugin, activate: (app) => activate(app, mods) };
      return () => ({ __esModule: true, default: [ready] });
    },
  };
})();
