// Entry point of centrala's web application.
import { render } from 'preact';
import { setLanguage, initialLanguage } from './lib/i18n.js';
import { App } from './components/App.jsx';
import './app.css';

setLanguage(initialLanguage());
render(<App />, document.getElementById('app'));
