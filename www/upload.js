// The uploads page: the form posts with fetch() and then loads this page
// again by GET (Post/Redirect/Get), so a refresh shows the result and
// never posts the files a second time; each stored file has a button
// that sends DELETE and then reloads the list.
"use strict";

const STORE = "/uploads/";

function el(tag, text, attrs) {
	const e = document.createElement(tag);
	if (text !== undefined)
		e.textContent = text;
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, v);
	return e;
}

function fileUrl(name) {
	return STORE + encodeURIComponent(name);
}

function setStatus(text) {
	document.getElementById("status").textContent = text;
}

// What the last upload stored, from this page's query (?stored=NAME...).
function showResult() {
	const names = new URLSearchParams(location.search).getAll("stored");
	const list = document.getElementById("stored");
	if (names.length === 0)
		return;
	for (const n of names) {
		const li = el("li");
		li.append(el("a", n, { href: fileUrl(n) }));
		list.append(li);
	}
	document.getElementById("result").hidden = false;
}

// The store's entries, read from its directory listing (autoindex).
async function storedNames() {
	const r = await fetch(STORE, { cache: "no-store" });
	if (!r.ok)
		throw new Error(STORE + ": " + r.status);
	const doc = new DOMParser().parseFromString(await r.text(), "text/html");
	const names = [];
	for (const a of doc.querySelectorAll("pre a")) {
		const href = a.getAttribute("href");
		if (href && !href.endsWith("/"))
			names.push(decodeURIComponent(href));
	}
	return names;
}

async function showListing() {
	const body = document.querySelector("#listing tbody");
	let names;
	try {
		names = await storedNames();
	} catch (e) {
		setStatus("Cannot read the list: " + e.message);
		return;
	}
	body.replaceChildren();
	for (const n of names) {
		const tr = el("tr");
		const cell = el("td");
		cell.append(el("a", n, { href: fileUrl(n) }));
		const del = el("button", "Delete", { type: "button", class: "delete", "data-name": n });
		del.addEventListener("click", () => remove(n));
		const act = el("td");
		act.append(del);
		tr.append(cell, act);
		body.append(tr);
	}
	document.getElementById("empty").hidden = names.length !== 0;
	document.body.dataset.listed = String(names.length);
}

async function remove(name) {
	setStatus("Deleting " + name + "…");
	const r = await fetch(fileUrl(name), { method: "DELETE" });
	setStatus(r.status === 204 ? "Deleted " + name + "." : "Delete failed: " + r.status);
	await showListing();
}

async function upload(ev) {
	ev.preventDefault();
	const form = ev.target;
	const button = document.getElementById("upload");
	button.disabled = true;
	setStatus("Uploading…");
	try {
		const r = await fetch(form.action, {
			method: "POST",
			body: new FormData(form),
			headers: { Accept: "application/json" },
		});
		if (r.status !== 201 && r.status !== 200)
			throw new Error(r.status + " " + r.statusText);
		const reply = await r.json();
		const q = new URLSearchParams();
		for (const f of reply.files)
			q.append("stored", f.name);
		// The Get of Post/Redirect/Get: a new history entry, so Back
		// returns to the empty form and a refresh repeats no POST.
		location.assign(location.pathname + "?" + q.toString());
	} catch (e) {
		setStatus("Upload failed: " + e.message);
		button.disabled = false;
	}
}

document.getElementById("upload-form").addEventListener("submit", upload);
showResult();
showListing();
