Attribute VB_Name = "RibbonOrderDesk"
' Callbacks of the OrderDesk ribbon tab (customUI14.xml): one per button.
Option Explicit

Public Sub OnContractReview(control As IRibbonControl)
    ContractReview
End Sub

Public Sub OnRefreshRiskColours(control As IRibbonControl)
    RefreshRiskColours
End Sub

Public Sub OnRefreshOtdPivot(control As IRibbonControl)
    RefreshOtdPivot
End Sub

Public Sub OnRootCauseSummary(control As IRibbonControl)
    RootCauseSummary
End Sub

Public Sub OnPromiseDate(control As IRibbonControl)
    PromiseDate
End Sub

Public Sub OnPmcPlan(control As IRibbonControl)
    PmcPlan
End Sub

Public Sub OnCompareSnapshot(control As IRibbonControl)
    CompareSnapshot
End Sub

Public Sub OnCompareWithFile(control As IRibbonControl)
    CompareWithFile
End Sub
