import "./style.css";
import { mountApp } from "./app";
import { loadStatus } from "./status";

const root = document.getElementById("app");
if (!root) throw new Error("index.html lacks #app");
void mountApp(root, { loadStatus, storage: localStorage, now: () => new Date() });
