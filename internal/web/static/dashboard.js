// 晴雨表 (dashboard): draws the charts with Apache ECharts from the JSON block
// #dash-data. The page's tables hold every figure with its link; the charts
// are an enhancement, and a click on a bar, slice or point opens the same list.
(function () {
  "use strict";
  var el = document.getElementById("dash-data");
  if (!el || typeof echarts !== "object") return;
  var data = JSON.parse(el.textContent);
  var charts = [];

  function draw(name, option, links) {
    var box = document.querySelector('.chart[data-chart="' + name + '"]');
    if (!box) return;
    box.hidden = false;
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", function (p) {
      var l = links(p);
      if (l) window.location.href = l;
    });
    box.style.cursor = "pointer";
    charts.push(chart);
  }

  var small = window.matchMedia("(max-width: 760px)").matches;
  var grid = { left: 8, right: 16, top: 28, bottom: 8, containLabel: true };

  // items by status: a ring
  var st = data.status;
  draw("status", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: { type: "scroll", bottom: 0, data: st.labels.filter(function (l, i) { return st.values[i] > 0; }) },
    series: [{
      name: st.name, type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"],
      label: { show: !small, formatter: "{b} {c}" },
      // empty statuses would only crowd the labels; the table lists them
      data: st.labels.map(function (l, i) { return { name: l, value: st.values[i], link: st.links[i], itemStyle: { color: st.colors[i] } }; })
        .filter(function (d) { return d.value > 0; })
    }]
  }, function (p) { return p.data && p.data.link; });

  // active items by light: bars in the lights' colours
  var li = data.lights;
  draw("lights", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: grid,
    xAxis: { type: "category", data: li.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: [{
      name: li.name, type: "bar", barMaxWidth: 48, label: { show: true, position: "top" },
      data: li.values.map(function (v, i) { return { value: v, itemStyle: { color: li.colors[i] } }; })
    }]
  }, function (p) { return li.links[p.dataIndex]; });

  // overdue ranking of the child units: horizontal bars, the most overdue on top
  var ch = data.children;
  if (ch.labels && ch.labels.length) {
    var box = document.querySelector('.chart[data-chart="children"]');
    if (box) box.style.height = Math.max(160, 30 * ch.labels.length + 60) + "px"; // one bar per unit
    draw("children", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: grid,
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: ch.labels,
        axisLabel: { width: small ? 90 : 180, overflow: "truncate" } },
      series: [{ name: ch.name, type: "bar", barMaxWidth: 28, color: "#c62828",
        label: { show: true, position: "right" }, data: ch.values }]
    }, function (p) { return ch.links[p.dataIndex]; });
  }

  // created vs closed per ISO week
  var cr = data.created, cl = data.closed;
  draw("weeks", {
    tooltip: { trigger: "axis" },
    legend: { data: [cr.name, cl.name], top: 0 },
    grid: grid,
    xAxis: { type: "category", boundaryGap: false, data: cr.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: cr.name, type: "line", data: cr.values, symbolSize: 8, color: "#1d4f91" },
      { name: cl.name, type: "line", data: cl.values, symbolSize: 8, color: "#2e7d32" }
    ]
  }, function (p) { return (p.seriesIndex === 0 ? cr : cl).links[p.dataIndex]; });

  var timer;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 100);
  });
})();
