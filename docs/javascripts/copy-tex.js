// Copy as TeX. The formulas are typeset at build time (hooks/math.py) and each <mjx-container> keeps its TeX
// source in data-latex. When a selection holding formulas is copied, the plain-text clipboard gets the text
// with every formula written as $TeX$ (inline) or $$TeX$$ (display), instead of glyphs MathJax drew.
// One listener on the document: it keeps working across Material's instant navigation.
document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !event.clipboardData) return;
  const holder = document.createElement("div");
  for (let i = 0; i < selection.rangeCount; i++) {
    const range = selection.getRangeAt(i);
    const inside = range.commonAncestorContainer.parentElement?.closest("mjx-container[data-latex]");
    holder.append(inside ? inside.cloneNode(true) : range.cloneContents());
  }
  const formulas = holder.querySelectorAll("mjx-container[data-latex]");
  if (!formulas.length) return;
  for (const math of formulas) {
    const tex = math.getAttribute("data-latex");
    math.replaceWith(math.hasAttribute("display") ? `$$${tex}$$` : `$${tex}$`);
  }
  // innerText needs layout (it turns blocks into line breaks), so measure the copy off-screen.
  holder.style.cssText = "position: fixed; left: -10000px; top: 0; white-space: pre-wrap";
  document.body.append(holder);
  event.clipboardData.setData("text/plain", holder.innerText);
  holder.remove();
  event.preventDefault();
});
