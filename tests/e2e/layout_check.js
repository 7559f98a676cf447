// Run in the page: what makes it scroll sideways, and tap targets under 24x24 px.
() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    out.push(`page is ${document.documentElement.scrollWidth}px wide`);
  }
  // The grid and the cohort table scroll inside their own area, by design.
  const scrollAreas = [...document.querySelectorAll(".table-scroll")];
  for (const el of document.querySelectorAll("a, button, input, select, textarea, summary")) {
    if (scrollAreas.some((area) => area.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue; // hidden
    // Links inside a sentence are exempt from the target size (WCAG 2.5.8).
    const inline = el.tagName === "A" && getComputedStyle(el).display === "inline"
      && el.closest("p, li, dd, td, th");
    if (inline) continue;
    if (box.width < 24 || box.height < 24) {
      const label = (el.textContent || el.value || "").trim().slice(0, 30);
      out.push(`${el.tagName.toLowerCase()}#${el.id} "${label}" is ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return out;
}
