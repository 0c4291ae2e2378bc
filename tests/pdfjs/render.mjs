// Draw every page of PDFs with pdf.js (the renderer of Firefox and of many web apps) into PNGs.
//
//   node render.mjs DPI OUT_DIR FILE.pdf [FILE.pdf ...]
//
// writes OUT_DIR/<n>/<page>.png for the n-th file (from 1) and its pages (from 1), white
// background, as a viewer shows them. One process draws all the files: Node and pdf.js start
// once. Fonts are drawn from their embedded programs (pdf.js under Node does not hand them to
// a system font engine), so a glyph that pdf.js cannot find is missing from the picture.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const [dpiArgument, outDir, ...files] = process.argv.slice(2);
const scale = Number(dpiArgument) / 72;
if (!(scale > 0) || !outDir || files.length === 0) {
  console.error("usage: node render.mjs DPI OUT_DIR FILE.pdf [FILE.pdf ...]");
  process.exit(2);
}

for (const [index, file] of files.entries()) {
  const folder = join(outDir, String(index + 1));
  mkdirSync(folder, { recursive: true });
  const document = await getDocument({
    data: new Uint8Array(readFileSync(file)),
    verbosity: 0, // errors only: a missing glyph shows in the picture, not in a log
    isEvalSupported: false,
  }).promise;
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const viewport = page.getViewport({ scale });
    const { canvas, context } = document.canvasFactory.create(
      Math.ceil(viewport.width),
      Math.ceil(viewport.height),
    );
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({ canvasContext: context, viewport, background: "#ffffff" }).promise;
    writeFileSync(join(folder, `${number}.png`), canvas.toBuffer("image/png"));
    page.cleanup();
  }
  await document.destroy();
}
