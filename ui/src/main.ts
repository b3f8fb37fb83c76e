import "./style.css";
import { tauriApi } from "./api";
import { mountApp } from "./app";

const root = document.getElementById("app");
if (!root) throw new Error("index.html lacks #app");
void mountApp(root, { api: tauriApi, storage: localStorage });
