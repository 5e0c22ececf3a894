// Analytics pages: draw every Plotly figure embedded with json_script (class "js-chart").
// The server sets each figure's separators («1 234,5» in Russian) and its tick labels for money;
// month and day names on date axes come from the Plotly locale registered here (the plotly
// package ships no locale files), chosen by the page's language.
const VORONKA_PLOTLY_RU = {
  moduleType: "locale",
  name: "ru",
  dictionary: {
    "Autoscale": "Автомасштаб",
    "Download plot as a png": "Скачать график в PNG",
    "Reset axes": "Сбросить оси",
    "Zoom in": "Увеличить",
    "Zoom out": "Уменьшить",
    "Zoom": "Масштаб",
    "Pan": "Сдвиг",
    "Double-click to zoom back out": "Дважды щёлкните, чтобы вернуть масштаб",
  },
  format: {
    days: ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
    shortDays: ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
    months: ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
      "октябрь", "ноябрь", "декабрь"],
    shortMonths: ["янв.", "февр.", "март", "апр.", "май", "июнь", "июль", "авг.", "сент.", "окт.",
      "нояб.", "дек."],
    date: "%d.%m.%Y",
    decimal: ",",
    thousands: "\u00a0",
  },
};

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Plotly === "undefined") return;
  const language = (document.documentElement.lang || "en").slice(0, 2);
  if (language === "ru") Plotly.register(VORONKA_PLOTLY_RU);
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      locale: language === "ru" ? "ru" : "en",
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
    });
  });
});
