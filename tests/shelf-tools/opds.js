// Reads OPDS 1 feeds with Readium's r2-opds-js (the parser Thorium uses) and prints, for each
// file named, its OPDS 2 form as Readium sees it: a JSON array, one element a feed.
"use strict";
require("reflect-metadata");
const fs = require("fs");
const { DOMParser } = require("@xmldom/xmldom");
const { XML } = require("r2-utils-js/dist/es8-es2017/src/_utils/xml-js-mapper");
const { initGlobalConverters_GENERIC, initGlobalConverters_OPDS } = require("r2-opds-js/dist/es8-es2017/src/opds/init-globals");
const { OPDS } = require("r2-opds-js/dist/es8-es2017/src/opds/opds1/opds");
const { convertOpds1ToOpds2 } = require("r2-opds-js/dist/es8-es2017/src/opds/converter");
const { TaJsonSerialize } = require("r2-lcp-js/dist/es8-es2017/src/serializable");
initGlobalConverters_OPDS();
initGlobalConverters_GENERIC();
const feeds = process.argv.slice(2).map((path) => {
  const errors = [];
  const dom = new DOMParser({ onError: (level, message) => errors.push(`${level}: ${message}`) })
    .parseFromString(fs.readFileSync(path, "utf8"), "application/xml");
  if (errors.length) {
    throw new Error(`${path}: ${errors.join("; ")}`);
  }
  return TaJsonSerialize(convertOpds1ToOpds2(XML.deserialize(dom, OPDS)));
});
process.stdout.write(JSON.stringify(feeds));
