import { render } from "preact";

import { App } from "./App";
import { takeTokenFromFragment } from "./session/token";
import "./styles.css";

takeTokenFromFragment();
const root = document.getElementById("app");
if (root) render(<App />, root);
