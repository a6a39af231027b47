// The language picker shown on every page; the choice is remembered in this browser.
import { t, setLanguage, getLanguage, catalogues, languages } from '../lib/i18n.js';

export function LanguagePicker() {
  return (
    <label class="lang">
      <span class="sr-only">{t('app.language')}</span>
      <select name="language" aria-label={t('app.language')} value={getLanguage()}
        onChange={(e) => setLanguage(e.target.value, true)}>
        {languages.map((l) => <option value={l} lang={l}>{catalogues[l]['lang.name']}</option>)}
      </select>
    </label>
  );
}
