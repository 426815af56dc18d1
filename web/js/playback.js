// Time playback: step or animate the H3 incident layer month by month through
// the chosen period (◀ ▶, "Spela upp"/"Pausa", "Hela perioden"). The month is
// part of the URL state; onMonth(month|null) redraws the cells.
import { monthsOf } from './state.js';

const STEP_MS = 1600;

export function createPlayback({ play, prev, next, clear }, { getPeriod, getMonth, onMonth }) {
  let timer = null;

  function step(d) {
    const p = getPeriod();
    if (!p) return;
    const months = monthsOf(p);
    const month = getMonth();
    let i = month ? months.indexOf(month) : (d > 0 ? -1 : months.length);
    i += d;
    if (i < 0 || i >= months.length) {
      if (timer) toggle();
      return;
    }
    onMonth(months[i]);
  }

  function toggle() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    } else {
      const p = getPeriod();
      if (p && getMonth() === monthsOf(p).pop()) onMonth(null);
      step(1);
      timer = setInterval(() => step(1), STEP_MS);
    }
    play.setAttribute('aria-pressed', String(Boolean(timer)));
    play.textContent = timer ? 'Pausa' : 'Spela upp';
  }

  play.addEventListener('click', toggle);
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  clear.addEventListener('click', () => {
    if (timer) toggle();
    onMonth(null);
  });

  return {
    get playing() { return Boolean(timer); },
    stop() { if (timer) toggle(); },
  };
}
