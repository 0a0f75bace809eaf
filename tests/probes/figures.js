// Figures as the reader sees them: numbering and captions, references, pictures outside figures, displayed text
// size, colliding labels in inline SVGs, and colours against the scheme. Measured, never taken from the
// source: text boxes from getBoundingClientRect, sizes from the rendered font size times the drawing's scale.
async () => {
  const content = document.querySelector("article.md-content__inner") || document.body;
  const scheme = document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const parseColour = (c) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c || "");
    return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : null;
  };
  const luminance = ({ r, g, b }) => {
    const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const backgroundOf = (el) => {  // the colour a figure is painted on: its own, else the nearest ancestor's
    for (let e = el; e; e = e.parentElement) {
      const c = parseColour(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  // Pictures: images (not emoji), canvases, and SVGs that are drawings (not icons or math).
  const isIcon = (el) => el.closest(".twemoji, .md-icon, mjx-container, button, .md-annotation, .headerlink, label");
  const pictures = [...content.querySelectorAll("img, canvas, svg")].filter(
    (el) => !isIcon(el) && !(el.tagName.toLowerCase() === "svg" && el.parentElement.closest("svg")) && visible(el),
  );
  // Images below the first screen are lazy (hooks/images.py): fetch the shown ones now, so that each one is
  // examined as a reader who scrolls to it sees it (an image not yet loaded would draw nothing on the canvas).
  await Promise.all(pictures.filter((el) => el.tagName.toLowerCase() === "img").map((img) => {
    img.loading = "eager";
    return img.decode().catch(() => {});
  }));
  const svgCache = {};
  const fetchSvg = async (src) => {
    if (!(src in svgCache)) svgCache[src] = fetch(src).then((r) => (r.ok ? r.text() : "")).catch(() => "");
    return svgCache[src];
  };

  const box = (r) => ({ x: r.left, y: r.top, w: r.width, h: r.height });
  const overlap = (a, b) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
    Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inside = (a, b, tol = 1) => a.x >= b.x - tol && a.y >= b.y - tol && a.x + a.w <= b.x + b.w + tol &&
    a.y + a.h <= b.y + b.h + tol;
  const label = (el) => (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 40);

  async function measure(el) {
    const tag = el.tagName.toLowerCase();
    const shown = el.getBoundingClientRect();
    const out = { tag, width: Math.round(shown.width), texts: [], collisions: [], darkFills: [], inks: [],
      background: luminance(backgroundOf(el)) };  // what the picture itself is painted on
    if (tag === "img") {
      out.src = el.getAttribute("src");
      const src = el.currentSrc || el.src;
      if (!/\.svg(#|$)/.test(src.split("?")[0])) return out;
      const text = await fetchSvg(src.split("#")[0]);
      const vb = /viewBox="[\d.\s-]*?\s([\d.]+)\s+[\d.]+"/.exec(text);
      if (!vb) return out;
      const scale = shown.width / parseFloat(vb[1]);
      // Matplotlib draws each text as glyph paths: <g id="text_N"> <!-- label --> <g transform="... scale(s -s)">,
      // at font size 100 s in the SVG's units. Plain SVG text carries a font-size.
      const re = /<g id="text_\d+">\s*<!-- ((?:(?!-->)[\s\S])*) -->\s*(?:<g style="[^"]*">\s*)?<g\b[^>]*?\btransform="[^"]*?scale\(([\d.]+) -[\d.]+\)"/g;
      for (const m of text.matchAll(re)) out.texts.push({ text: m[1].slice(0, 40), px: 100 * parseFloat(m[2]) * scale });
      for (const m of text.matchAll(/<text\b[^>]*font-size="([\d.]+)"[^>]*>([^<]*)/g)) {
        out.texts.push({ text: m[2].slice(0, 40), px: parseFloat(m[1]) * scale });
      }
      // What the image looks like on its page: the share of light opaque pixels, and the brightness of the ink.
      try {
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(shown.width / 2));
        canvas.height = Math.max(1, Math.round(shown.height / 2));
        const ctx = canvas.getContext("2d");
        ctx.drawImage(el, 0, 0, canvas.width, canvas.height);
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let light = 0, opaque = 0, inkLum = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3] < 128) continue;
          opaque += 1;
          const l = luminance({ r: px[i], g: px[i + 1], b: px[i + 2] });
          inkLum += l;
          if (l > 0.7) light += 1;
        }
        const all = px.length / 4;
        out.lightShare = light / all;
        out.meanInk = opaque ? inkLum / opaque : null;
      } catch (e) {
        out.canvasError = String(e);
      }
      return out;
    }
    if (tag !== "svg") return out;
    const svgBox = box(shown);
    const texts = [...el.querySelectorAll("text")].filter(visible);
    for (const t of texts) {
      // every run of characters, at its own font size, times the drawing's scale on screen
      const runs = [t, ...t.querySelectorAll("tspan")];
      const ctm = t.getScreenCTM();
      const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
      for (const r of runs) {
        const own = [...r.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        if (!own) continue;
        const cs = getComputedStyle(r);
        const script = r !== t && (cs.baselineShift !== "0px" && cs.baselineShift !== "baseline" ||
          /sub|super/.test(r.getAttribute("baseline-shift") || "") || (r.getAttribute("dy") || "0") !== "0");
        out.texts.push({ text: label(r), px: parseFloat(cs.fontSize) * scale, script });
      }
      const fill = parseColour(getComputedStyle(t).fill);
      if (fill) out.inks.push({ text: label(t), luminance: luminance(fill) });
    }
    // Collisions: two labels whose boxes overlap, or a label that straddles the edge of a box or a node.
    const boxes = texts.map((t) => ({ t, b: box(t.getBoundingClientRect()) }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].b, b = boxes[j].b;
        const o = overlap(a, b);
        if (o > 2 && o > 0.04 * Math.min(a.w * a.h, b.w * b.h)) {
          out.collisions.push(`"${label(boxes[i].t)}" overlaps "${label(boxes[j].t)}"`);
        }
      }
    }
    const area = svgBox.w * svgBox.h;
    const shapes = [...el.querySelectorAll("rect, circle, ellipse")].filter(visible).filter((s) => !s.closest("defs, marker"));
    for (const s of shapes) {
      const sb = box(s.getBoundingClientRect());
      const cs = getComputedStyle(s);
      const fill = parseColour(cs.fill);
      if (fill && fill.a > 0.5 && sb.w * sb.h > 0.25 * area) out.darkFills.push({ luminance: luminance(fill) });
      if (sb.w * sb.h > 0.25 * area) continue;  // a panel or the background: labels sit inside it
      for (const { t, b } of boxes) {
        const o = overlap(b, sb);
        if (o <= 2 || inside(b, sb, 2) || inside(sb, b, 2)) continue;
        if (s.tagName === "circle" || s.tagName === "ellipse") {  // the box's corners may miss a round node
          const cx = sb.x + sb.w / 2, cy = sb.y + sb.h / 2, rx = sb.w / 2, ry = sb.h / 2;
          const nx = Math.max(b.x, Math.min(cx, b.x + b.w)), ny = Math.max(b.y, Math.min(cy, b.y + b.h));
          if (((nx - cx) / rx) ** 2 + ((ny - cy) / ry) ** 2 > 0.9) continue;
        }
        out.collisions.push(`"${label(t)}" straddles the edge of a ${s.tagName}`);
      }
    }
    return out;
  }

  const figures = [];
  for (const fig of content.querySelectorAll("figure")) {
    const caption = fig.querySelector("figcaption");
    const number = caption && caption.querySelector(".fig-number");
    const bg = backgroundOf(fig);
    const media = [];
    for (const el of pictures.filter((p) => fig.contains(p))) media.push(await measure(el));
    figures.push({
      id: fig.id || null,
      caption: caption ? caption.textContent.replace(/\s+/g, " ").trim().slice(0, 120) : null,
      number: number ? number.textContent.trim() : null,
      background: luminance(bg),
      hiddenImages: [...fig.querySelectorAll("img")].filter((i) => !visible(i)).map((i) => i.getAttribute("src")),
      media,
    });
  }
  const references = [...content.querySelectorAll('a[href*="#fig-"]')].map((a) => {
    const url = new URL(a.href);
    return {
      text: a.textContent.trim(), href: a.getAttribute("href"),
      targetPath: url.pathname, targetId: decodeURIComponent(url.hash.slice(1)),
    };
  });
  const outside = pictures.filter((p) => !p.closest("figure")).map((p) => ({
    tag: p.tagName.toLowerCase(), src: p.getAttribute("src"), width: Math.round(p.getBoundingClientRect().width),
  }));
  return { scheme, figures, references, outside };
}
