// A drawing canvas for mouse, finger and stylus (pointer events), with undo and clear.
// Python sends {size, line, ink, paper, clear_label, undo_label, token}; the drawing comes back
// as the state value "png" (a PNG data URL) after every stroke, or null when the canvas is empty.
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const d = data || {};
  let root = parentElement.querySelector(".cl-canvas");
  if (!root) {
    root = document.createElement("div");
    root.className = "cl-canvas";
    const cv = document.createElement("canvas");
    cv.setAttribute("role", "img");
    const bar = document.createElement("div");
    bar.className = "cl-bar";
    const undo = document.createElement("button");
    const clear = document.createElement("button");
    undo.className = "cl-undo";
    clear.className = "cl-clear";
    bar.append(undo, clear);
    root.append(cv, bar);
    parentElement.appendChild(root);
    root.state = { strokes: [], current: null, token: null };
    const st = root.state;
    const ctx = cv.getContext("2d");
    const redraw = () => {
      ctx.fillStyle = st.paper;
      ctx.fillRect(0, 0, cv.width, cv.height);
      ctx.strokeStyle = st.ink;
      ctx.fillStyle = st.ink;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      for (const s of st.strokes.concat(st.current ? [st.current] : [])) {
        ctx.lineWidth = st.line;
        if (s.length === 1) {
          ctx.beginPath();
          ctx.arc(s[0][0], s[0][1], st.line / 2, 0, 2 * Math.PI);
          ctx.fill();
          continue;
        }
        ctx.beginPath();
        ctx.moveTo(s[0][0], s[0][1]);
        for (const p of s.slice(1)) ctx.lineTo(p[0], p[1]);
        ctx.stroke();
      }
    };
    const send = () => setStateValue("png", st.strokes.length ? cv.toDataURL("image/png") : null);
    const at = (e) => {
      const r = cv.getBoundingClientRect();
      return [(e.clientX - r.left) * cv.width / r.width, (e.clientY - r.top) * cv.height / r.height];
    };
    cv.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      cv.setPointerCapture(e.pointerId);
      st.current = [at(e)];
      redraw();
    });
    cv.addEventListener("pointermove", (e) => {
      if (!st.current) return;
      e.preventDefault();
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events) st.current.push(at(ev));
      redraw();
    });
    const end = () => {
      if (!st.current) return;
      st.strokes.push(st.current);
      st.current = null;
      redraw();
      send();
    };
    cv.addEventListener("pointerup", end);
    cv.addEventListener("pointercancel", end);
    undo.addEventListener("click", () => { st.strokes.pop(); redraw(); send(); });
    clear.addEventListener("click", () => { st.strokes = []; redraw(); send(); });
    root.redraw = redraw;
  }
  const st = root.state;
  const cv = root.querySelector("canvas");
  const size = Math.max(64, Math.min(560, Number(d.size) || 280));
  if (cv.width !== size) { cv.width = size; cv.height = size; }
  st.line = Math.max(1, Math.min(80, Number(d.line) || 20));
  st.ink = typeof d.ink === "string" ? d.ink : "#ffffff";
  st.paper = typeof d.paper === "string" ? d.paper : "#000000";
  cv.setAttribute("aria-label", String(d.aria_label || "drawing canvas"));
  root.querySelector(".cl-undo").textContent = String(d.undo_label || "Undo");
  root.querySelector(".cl-clear").textContent = String(d.clear_label || "Clear");
  if (st.token !== d.token) {          // Python asks for an empty canvas (after "add")
    if (st.token !== null) { st.strokes = []; st.current = null; }
    st.token = d.token;
  }
  root.redraw();
}
